using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Telemetry;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>Outcome of verifying one backup, and the check record written for it (null when the backup does not exist).</summary>
public sealed record VerifyBackupOutput(string BackupId, VerificationStatus Status, string Detail, string? CheckBlob)
{
    public bool IsOk => Status == VerificationStatus.Ok;
}

/// <summary>
/// Re-reads a stored backup in one pass: size and SHA-256 of the stored and the decompressed bytes
/// against the manifest, and the engine's structural check. The outcome is a value and is
/// recorded as a check blob. Idempotent apart from adding one more check record.
/// </summary>
public sealed class VerifyBackupActivity(BlobVault vault, Targets targets, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null)
    : BackupActivity<string, VerifyBackupOutput>(loggers, environment)
{
    protected override Task<VerifyBackupOutput> ExecuteAsync(string input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, progress, cancellationToken);

    protected override string? ProgressLabel(string input) => $"{TargetOf(input)} verify";

    public const string CheckKind = "verify";

    public async Task<VerifyBackupOutput> RunAsync(string backupId, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var backup = await StoredBackup.FindAsync(vault, targets, backupId, cancellationToken);
        if (backup is null)
        {
            return new VerifyBackupOutput(backupId, VerificationStatus.Missing,
                $"backup '{backupId}' has no manifest in container '{vault.ContainerName}'", null);
        }

        using var span = BackupTelemetry.Start("verify", backup.Manifest.Target, backup.Id.Value);
        var startedAt = time.GetUtcNow();
        var result = await VerifyAsync(backup, progress, cancellationToken);
        BackupTelemetry.Verified(backup.Manifest.Target, result.Status.ToString());
        if (result.Status != VerificationStatus.Ok)
        {
            BackupTelemetry.Fail(span, $"{result.Status}: {result.Detail}");
        }

        var record = new CheckRecord(backup.Id.Value, CheckKind, result.Status.ToString(), result.Detail, startedAt, time.GetUtcNow());
        string blob = await backup.RecordAsync(vault, record, cancellationToken);
        return new VerifyBackupOutput(backup.Id.Value, result.Status, result.Detail, blob);
    }

    private async Task<VerificationResult> VerifyAsync(StoredBackup backup, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (backup.Inconsistency() is { } inconsistency)
        {
            return new VerificationResult(VerificationStatus.StructureInvalid, inconsistency);
        }

        BackupReader? opened;
        try
        {
            opened = await backup.OpenAsync(vault, targets.Keys, cancellationToken);
        }
        catch (Configuration.BackupConfigurationException e) when (backup.Manifest.Encryption is not null)
        {
            return await StoredChecksumOnlyAsync(backup, e.Message, cancellationToken);
        }
        catch (Engines.EngineException e) when (e.Kind == Engines.FailureKind.Corrupt && backup.Manifest.Encryption is not null)
        {
            // The wrapped data key does not unwrap: the stored bytes may be intact, but nothing can read them.
            var stored = await StoredChecksumOnlyAsync(backup, e.Message, cancellationToken);
            return stored.Status != VerificationStatus.Ok ? stored : new VerificationResult(VerificationStatus.StructureInvalid, e.Message);
        }

        await using var reader = opened;
        if (reader is null)
        {
            return new VerificationResult(VerificationStatus.Missing, $"data blob '{backup.Manifest.Blobs.Data}' is missing");
        }

        if (progress is not null)
        {
            reader.Progress = bytes => progress.Report(new TransferProgress("verify", bytes, backup.Manifest.StoredBytes));
        }

        var stats = backup.Manifest.SourceStats;
        StructureCheck structure;
        try
        {
            structure = await backup.Engine.CheckStructureAsync(reader.Raw, new SourceStats(stats.Kind, stats.Counts, stats.SourceSizeBytes), cancellationToken);
        }
        catch (InvalidDataException e)
        {
            reader.DecodeError = e.Message;
            structure = new StructureCheck(false, $"the stored blob does not decompress: {e.Message}");
        }

        // Checksums first: a corrupt blob is reported as such even when it also fails to parse.
        var checksums = await reader.FinishAsync(cancellationToken);
        if (!checksums.IsOk)
        {
            return checksums;
        }

        return structure.IsValid
            ? VerificationResult.Ok($"{checksums.Detail}; {structure.Detail}")
            : new VerificationResult(VerificationStatus.StructureInvalid, structure.Detail);
    }

    /// <summary>Without the key, an encrypted backup's stored bytes can still be checked: size and SHA-256.</summary>
    private async Task<VerificationResult> StoredChecksumOnlyAsync(StoredBackup backup, string why, CancellationToken cancellationToken)
    {
        var stored = await backup.CheckStoredAsync(vault, cancellationToken);
        return stored.IsOk ? VerificationResult.Ok($"{stored.Detail}; plaintext not checked: {why}") : stored;
    }
}
