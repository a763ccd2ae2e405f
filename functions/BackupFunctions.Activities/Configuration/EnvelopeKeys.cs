using System.Security.Cryptography;
using BackupFunctions.Engines;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// The data key of one backup: the AES-256 key that encrypts its data, and for envelope keys how it is stored
/// (wrapped with RSA-OAEP-SHA256 for <paramref name="WrappingKey"/>: a Key Vault key version, or the SHA-256
/// fingerprint of a PEM public key). Symmetric keys have no wrapped form: the key id is enough.
/// </summary>
public sealed record DataKey(byte[] Key, string? KeyWrap = null, string? WrappedKey = null, string? WrappingKey = null);

/// <summary>RSA envelope helpers: load PEM keys (3072 bits or more), make and wrap a fresh data key, unwrap it.</summary>
public static class EnvelopeKeys
{
    /// <summary>The wrap algorithm, in the manifest and in Key Vault's terms.</summary>
    public const string Wrap = "RSA-OAEP-256";

    public const int MinimumBits = 3072;

    /// <summary>https://VAULT.vault.azure.net/keys/NAME or .../keys/NAME/VERSION (any Key Vault host, for sovereign clouds).</summary>
    public static bool IsKeyVaultKeyUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
        && uri.AbsolutePath.Trim('/').Split('/') is ["keys", { Length: > 0 }] or ["keys", { Length: > 0 }, { Length: > 0 }];

    /// <summary>A fresh random data key, wrapped with <paramref name="publicKey"/>.</summary>
    public static DataKey NewDataKey(RSA publicKey, string wrappingKey)
    {
        byte[] key = RandomNumberGenerator.GetBytes(Vault.Encryption.FramedAesGcm.KeySize);
        return new DataKey(key, Wrap, Convert.ToBase64String(publicKey.Encrypt(key, RSAEncryptionPadding.OaepSHA256)), wrappingKey);
    }

    /// <summary>The data key, unwrapped with <paramref name="privateKey"/>; Corrupt when it does not unwrap.</summary>
    public static byte[] Unwrap(RSA privateKey, byte[] wrapped, string keyId)
    {
        try
        {
            byte[] key = privateKey.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256);
            if (key.Length == Vault.Encryption.FramedAesGcm.KeySize)
            {
                return key;
            }
        }
        catch (CryptographicException)
        {
            // reported below: OAEP cannot tell an altered wrapped key from one wrapped for another key
        }

        throw new EngineException(FailureKind.Corrupt,
            $"the wrapped data key does not unwrap with the private key of '{keyId}': the manifest's wrapped key was altered, or the backup was wrapped for another key");
    }

    /// <summary>SHA-256 of the public key's SubjectPublicKeyInfo, lowercase hex: names a PEM key pair in manifests.</summary>
    public static string Fingerprint(RSA key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    /// <summary>Loads a PEM key file (public or private); configuration errors name <paramref name="setting"/>.</summary>
    public static RSA LoadPem(string file, string setting, bool requirePrivate)
    {
        if (!File.Exists(file))
        {
            throw new BackupConfigurationException($"{setting} '{file}' not found");
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(file));
        }
        catch (ArgumentException e)
        {
            rsa.Dispose();
            throw new BackupConfigurationException($"{setting} '{file}' is not a PEM RSA key ({e.Message.Split('\n')[0]}; make one with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072)", e);
        }

        if (requirePrivate && !HasPrivate(rsa))
        {
            rsa.Dispose();
            throw new BackupConfigurationException($"{setting} '{file}' holds a public key only (a private key PEM is needed here)");
        }

        RequireSize(rsa, setting);
        return rsa;
    }

    /// <summary>Refuses RSA keys under <see cref="MinimumBits"/>.</summary>
    public static void RequireSize(RSA rsa, string setting)
    {
        if (rsa.KeySize < MinimumBits)
        {
            throw new BackupConfigurationException($"{setting}: the RSA key has {rsa.KeySize} bits; use {MinimumBits} or more");
        }
    }

    private static bool HasPrivate(RSA rsa)
    {
        try
        {
            return rsa.ExportParameters(includePrivateParameters: true).D is { Length: > 0 };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
