using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Encryption;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// Encryption keys by id from Backup:EncryptionKeys. Symmetric: a key file or a Key Vault secret holding a base64
/// 256-bit key, which encrypts the data itself. Envelope: an RSA key (PEM files, or a Key Vault key) that wraps a
/// fresh data key per backup; the manifest stores the wrapped data key, the key id and which RSA key wrapped it,
/// never a key. A host with only the public key (or only Key Vault's get permission) backs up but cannot read.
/// </summary>
public sealed class EncryptionKeys(BackupOptions options, SecretResolver? secrets)
{
    /// <summary>The key of a new backup encrypted with <paramref name="keyId"/>.</summary>
    public async Task<DataKey> NewDataKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var (source, setting) = Source(keyId);
        if (!source.IsEnvelope)
        {
            return new DataKey(await SymmetricAsync(source, setting, cancellationToken));
        }

        if (source.KeyVaultKey is { } keyUrl)
        {
            var (rsa, kid) = await KeyClient().PublicKeyAsync(keyUrl, $"{setting}:KeyVaultKey", cancellationToken);
            return EnvelopeKeys.NewDataKey(rsa, kid);
        }

        using var key = source.PublicKeyFile is { } pub
            ? EnvelopeKeys.LoadPem(pub, $"{setting}:PublicKeyFile", requirePrivate: false)
            : EnvelopeKeys.LoadPem(source.PrivateKeyFile!, $"{setting}:PrivateKeyFile", requirePrivate: true);
        return EnvelopeKeys.NewDataKey(key, EnvelopeKeys.Fingerprint(key));
    }

    /// <summary>
    /// The data key of a stored backup. A configuration error (exit 2) naming what is missing when this host cannot
    /// read it (no such key id, or only the public half); Corrupt when the wrapped key does not unwrap.
    /// </summary>
    public async Task<byte[]> DataKeyOfAsync(EncryptionInfo info, string backupId, CancellationToken cancellationToken)
    {
        var (source, setting) = Source(info.KeyId);
        if (info.WrappedKey is null)
        {
            if (source.IsEnvelope)
            {
                throw new BackupConfigurationException($"backup {backupId} was encrypted with the symmetric key '{info.KeyId}', but {setting} now names an RSA key (restore the KeyFile or KeySecret of that id)");
            }

            return await SymmetricAsync(source, setting, cancellationToken);
        }

        if (!source.IsEnvelope)
        {
            throw new BackupConfigurationException($"backup {backupId} holds a data key wrapped for the RSA key '{info.KeyId}', but {setting} is a symmetric key (configure its PrivateKeyFile or KeyVaultKey)");
        }

        byte[] wrapped = Convert.FromBase64String(info.WrappedKey);
        if (source.KeyVaultKey is { } keyUrl)
        {
            return await KeyClient().UnwrapAsync(info.WrappingKey ?? keyUrl, wrapped, $"{setting}:KeyVaultKey", cancellationToken);
        }

        if (source.PrivateKeyFile is null)
        {
            throw new BackupConfigurationException(
                $"backup {backupId} is encrypted to the RSA key '{info.KeyId}' and this host holds only its public key: add {setting}:PrivateKeyFile where backups are restored");
        }

        using var key = EnvelopeKeys.LoadPem(source.PrivateKeyFile, $"{setting}:PrivateKeyFile", requirePrivate: true);
        if (info.WrappingKey is { } wanted && wanted.StartsWith("sha256:", StringComparison.Ordinal) && EnvelopeKeys.Fingerprint(key) != wanted)
        {
            throw new BackupConfigurationException(
                $"{setting}:PrivateKeyFile is not the key backup {backupId} was encrypted to (its public key is {EnvelopeKeys.Fingerprint(key)[..19]}…, the backup's {wanted[..19]}…): configure the matching private key");
        }

        return EnvelopeKeys.Unwrap(key, wrapped, info.KeyId);
    }

    private (EncryptionKeyOptions Source, string Setting) Source(string keyId)
    {
        string setting = $"Backup:EncryptionKeys:{keyId}";
        return options.EncryptionKeys.TryGetValue(keyId, out var source)
            ? (source, setting)
            : throw new BackupConfigurationException($"no encryption key with id '{keyId}' is configured (add {setting}; keep old keys so old backups stay readable)");
    }

    private KeyVaultKeyClient KeyClient() => secrets?.KeyClient() ?? KeyVaultKeyClient.Default();

    private async Task<byte[]> SymmetricAsync(EncryptionKeyOptions source, string setting, CancellationToken cancellationToken)
    {
        string text;
        if (source.KeyFile is not null)
        {
            if (!File.Exists(source.KeyFile))
            {
                throw new BackupConfigurationException($"{setting}:KeyFile '{source.KeyFile}' not found");
            }

            text = await File.ReadAllTextAsync(source.KeyFile, cancellationToken);
        }
        else
        {
            text = await (secrets ?? throw new BackupConfigurationException($"{setting}:KeySecret needs Backup:KeyVaultUri"))
                .GetAsync(source.KeySecret!, $"{setting}:KeySecret", cancellationToken);
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

        throw new BackupConfigurationException($"{setting} must hold a base64 256-bit key (make one with: openssl rand -base64 32)");
    }
}
