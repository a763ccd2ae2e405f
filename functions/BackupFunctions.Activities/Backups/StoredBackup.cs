using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>A backup found in the vault by id: its manifest, and the engine that reads it.</summary>
internal sealed record StoredBackup(BackupId Id, BackupManifest Manifest, IDatabaseEngine Engine)
{
    /// <summary>Loads the manifest; null when the backup does not exist.</summary>
    public static async Task<StoredBackup?> FindAsync(BlobVault vault, Targets targets, string backupId, CancellationToken cancellationToken)
    {
        var id = TargetErrors.ParseId(backupId);
        var manifest = await vault.ReadManifestAsync(id, cancellationToken);
        return manifest is null ? null : new StoredBackup(id, manifest, targets.EngineFor(manifest.Engine, manifest.Target));
    }

    /// <summary>Loads the manifest; NotFound when the backup does not exist.</summary>
    public static async Task<StoredBackup> GetAsync(BlobVault vault, Targets targets, string backupId, CancellationToken cancellationToken) =>
        await FindAsync(vault, targets, backupId, cancellationToken)
        ?? throw new EngineException(FailureKind.NotFound, $"backup '{backupId}' not found in container '{vault.ContainerName}' (see 'backupfn list')");

    /// <summary>
    /// Why the manifest does not describe the backup it is stored as (another backup's id, or a data
    /// blob outside this backup's folder); null when it does. Checksums cannot tell: a manifest
    /// copied from another backup matches that backup's data.
    /// </summary>
    public string? Inconsistency()
    {
        string folder = BlobLayout.BackupPrefix(Id);
        return Manifest.Id != Id.Value ? $"the manifest stored as {Id} describes backup '{Manifest.Id}'"
            : !Manifest.Blobs.Data.StartsWith(folder, StringComparison.Ordinal) ? $"the manifest of {Id} names data blob '{Manifest.Blobs.Data}', outside the backup's folder '{folder}'"
            : null;
    }

    /// <summary>A reader over the data blob; null when the data blob is missing.</summary>
    public async Task<BackupReader?> OpenAsync(BlobVault vault, EncryptionKeys keys, CancellationToken cancellationToken)
    {
        byte[]? key = Manifest.Encryption is { } e ? await keys.DataKeyOfAsync(e, Id.Value, cancellationToken) : null;
        var download = await vault.OpenReadAsync(Manifest.Blobs.Data, cancellationToken);
        return download is null ? null : new BackupReader(Manifest, download, key);
    }

    /// <summary>
    /// Re-reads the data blob as stored in <paramref name="vault"/> (the primary or a copy): its size and SHA-256 against the
    /// manifest's stored values. Needs no key, so it also checks an encrypted backup's bytes.
    /// </summary>
    public async Task<VerificationResult> CheckStoredAsync(BlobVault vault, CancellationToken cancellationToken)
    {
        var digest = await vault.DigestAsync(Manifest.Blobs.Data, cancellationToken);
        if (digest is null)
        {
            return new VerificationResult(VerificationStatus.Missing, $"data blob '{Manifest.Blobs.Data}' is missing in container '{vault.ContainerName}'");
        }

        if (digest.Bytes != Manifest.StoredBytes)
        {
            return new VerificationResult(VerificationStatus.SizeMismatch, $"stored size is {digest.Bytes} bytes, the manifest says {Manifest.StoredBytes}");
        }

        return string.Equals(digest.Sha256, Manifest.Sha256Stored, StringComparison.OrdinalIgnoreCase)
            ? VerificationResult.Ok($"stored SHA-256 {digest.Sha256} and size match")
            : new VerificationResult(VerificationStatus.ChecksumMismatch, $"SHA-256 of the stored blob is {digest.Sha256}, the manifest says {Manifest.Sha256Stored}");
    }

    /// <summary>Writes a check record (a new blob; outcome also in its metadata so listings need no download).</summary>
    public async Task<string> RecordAsync(BlobVault vault, CheckRecord record, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? extraMetadata = null, string? blobKind = null)
    {
        string blob = BlobLayout.Check(Id, record.CompletedAt, blobKind ?? record.Kind);
        var metadata = new Dictionary<string, string> { ["kind"] = record.Kind, ["outcome"] = record.Outcome, ["backupid"] = Id.Value,
            [CheckDurations.MetadataKey] = CheckDurations.Format(record) };
        foreach (var (key, value) in extraMetadata ?? new Dictionary<string, string>())
        {
            metadata[key] = value;
        }

        await vault.WriteOnceAsync(blob, VaultJson.Serialize(record), metadata, cancellationToken);
        return blob;
    }
}
