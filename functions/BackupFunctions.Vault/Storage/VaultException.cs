namespace BackupFunctions.Vault.Storage;

/// <summary>A storage problem with a one-line, secret-free message that names the fix.</summary>
public sealed class VaultException : Exception
{
    public VaultException(string message, Exception? inner = null) : base(message, inner) { }

    public VaultException() { }

    public VaultException(string message) : base(message) { }

    public static VaultException AlreadyExists(string blobName) =>
        new($"blob '{blobName}' already exists; backups are write-once and are never overwritten");
}
