using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>The vault a restore reads a backup's data from; <paramref name="Copy"/> and <paramref name="Warning"/> are set when it is a copy standing in for the primary.</summary>
internal sealed record BackupSource(BlobVault Vault, string? Copy, string? Warning);

/// <summary>
/// Where restore and restore test read a backup's data: the primary vault, or, when the primary's data blob is missing
/// or its bytes are corrupt, the first copy (Backup:Copies, by name) whose stored size and SHA-256 re-read equal the
/// manifest's. A copy that does not verify is never used. The warning says which copy stood in and why.
/// </summary>
internal sealed class CopyFallback(BlobVault primary, IReadOnlyDictionary<string, BlobVault> copies)
{
    public BackupSource Primary => new(primary, null, null);

    /// <summary>The primary, unless its data blob is missing and a copy verifies.</summary>
    public async Task<BackupSource> FirstAsync(StoredBackup backup, CancellationToken cancellationToken)
    {
        if (copies.Count == 0 || await primary.StatAsync(backup.Manifest.Blobs.Data, cancellationToken) is not null)
        {
            return Primary;
        }

        return await VerifiedCopyAsync(backup, $"data blob '{backup.Manifest.Blobs.Data}' is missing", cancellationToken) ?? Primary;
    }

    /// <summary>After reading the primary failed: a copy that verifies when the primary's stored bytes do not; null otherwise.</summary>
    public async Task<BackupSource?> AfterFailureAsync(StoredBackup backup, CancellationToken cancellationToken)
    {
        if (copies.Count == 0)
        {
            return null;
        }

        var stored = await backup.CheckStoredAsync(primary, cancellationToken);
        return stored.IsOk ? null : await VerifiedCopyAsync(backup, $"data blob failed verification ({stored.Status}: {stored.Detail})", cancellationToken);
    }

    private async Task<BackupSource?> VerifiedCopyAsync(StoredBackup backup, string problem, CancellationToken cancellationToken)
    {
        foreach (var (name, copy) in copies.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if ((await backup.CheckStoredAsync(copy, cancellationToken)).IsOk)
            {
                return new BackupSource(copy, name,
                    $"warning: the primary vault's {problem}; read {backup.Id} from copy '{name}' instead, whose stored SHA-256 verified");
            }
        }

        return null;
    }
}
