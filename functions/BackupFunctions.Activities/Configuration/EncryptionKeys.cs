using BackupFunctions.Vault.Encryption;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// Loads encryption keys by id from Backup:EncryptionKeys: a key file or a Key Vault secret holding
/// a base64 256-bit key. Manifests store only the key id, never the key.
/// </summary>
public sealed class EncryptionKeys(BackupOptions options, SecretResolver? secrets)
{
    public async Task<byte[]> GetAsync(string keyId, CancellationToken cancellationToken)
    {
        string key = $"Backup:EncryptionKeys:{keyId}";
        if (!options.EncryptionKeys.TryGetValue(keyId, out var source))
        {
            throw new BackupConfigurationException($"no encryption key with id '{keyId}' is configured (add {key}; keep old keys so old backups stay readable)");
        }

        string text;
        if (source.KeyFile is not null)
        {
            if (!File.Exists(source.KeyFile))
            {
                throw new BackupConfigurationException($"{key}:KeyFile '{source.KeyFile}' not found");
            }

            text = await File.ReadAllTextAsync(source.KeyFile, cancellationToken);
        }
        else
        {
            text = await (secrets ?? throw new BackupConfigurationException($"{key}:KeySecret needs Backup:KeyVaultUri"))
                .GetAsync(source.KeySecret!, $"{key}:KeySecret", cancellationToken);
        }

        try
        {
            byte[] bytes = Convert.FromBase64String(text.Trim());
            if (bytes.Length == FramedAesGcm.KeySize)
            {
                return bytes;
            }
        }
        catch (FormatException)
        {
            // reported below
        }

        throw new BackupConfigurationException($"{key} must hold a base64 256-bit key (make one with: openssl rand -base64 32)");
    }
}
