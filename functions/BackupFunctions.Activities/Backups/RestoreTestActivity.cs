using System.Diagnostics;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Telemetry;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>Outcome of a restore test and its check record; <paramref name="Warning"/> when a copy stood in for the primary's data.</summary>
public sealed record RestoreTestOutput(string BackupId, bool Passed, string Detail, double Seconds, string CheckBlob, string? Warning = null);

/// <summary>
/// Proves a backup restores: restores it into a new scratch database on the target's RestoreTest
/// server (beside the source when none is configured: see each engine's CreateScratchAsync), compares the restored counts with the
/// manifest's source stats, records the outcome, and drops the scratch database even on failure.
/// A restore that fails is an outcome (Passed = false); an unreachable scratch server is an error. When the primary's data
/// blob is missing or corrupt, a copy that verifies (<see cref="CopyFallback"/>) is tested instead, with a warning.
/// </summary>
public sealed class RestoreTestActivity(BlobVault vault, Targets targets, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null,
    IReadOnlyDictionary<string, BlobVault>? copies = null)
    : BackupActivity<string, RestoreTestOutput>(loggers, environment)
{
    private readonly ILogger _logger = loggers.CreateLogger<RestoreTestActivity>();
    private readonly CopyFallback _fallback = new(vault, copies ?? new Dictionary<string, BlobVault>());

    protected override Task<RestoreTestOutput> ExecuteAsync(string input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, progress, cancellationToken);

    protected override string? ProgressLabel(string input) => $"{TargetOf(input)} restore-test";

    public const string CheckKind = "restore-test";

    /// <summary>What run reports and status say of a target whose RestoreTest:Enabled is false.</summary>
    public const string DisabledDetail = "restore test disabled (RestoreTest:Enabled is false)";

    public async Task<RestoreTestOutput> RunAsync(string backupId, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var backup = await StoredBackup.GetAsync(vault, targets, backupId, cancellationToken);
        var target = await targets.ResolveAsync(backup.Manifest.Target, cancellationToken);
        using var span = BackupTelemetry.Start("restore-test", backup.Manifest.Target, backup.Id.Value);
        var clock = Stopwatch.StartNew();
        var startedAt = time.GetUtcNow();
        var stats = backup.Manifest.SourceStats;
        var place = new ScratchRequest(target.Connection, target.RestoreTestConnection, new SourceStats(stats.Kind, stats.Counts, stats.SourceSizeBytes));

        var source = await _fallback.FirstAsync(backup, cancellationToken);
        var (passed, detail, counts) = await TargetErrors.About($"restore test of {backup.Id}",
            () => RestoreAndCompareAsync(backup, source.Vault, place, progress, cancellationToken));
        if (!passed && source.Copy is null && await _fallback.AfterFailureAsync(backup, cancellationToken) is { } copy)
        {
            source = copy;
            (passed, detail, counts) = await TargetErrors.About($"restore test of {backup.Id} from copy '{copy.Copy}'",
                () => RestoreAndCompareAsync(backup, copy.Vault, place, progress, cancellationToken));
        }

        if (source.Warning is not null)
        {
            Logs.ReadFromCopy(_logger, "restore test", backup.Id.Value, source.Copy!, source.Warning);
            detail = $"{source.Warning}; {detail}";
        }

        BackupTelemetry.RestoreTested(backup.Manifest.Target, passed);
        if (!passed)
        {
            BackupTelemetry.Fail(span, detail);
        }

        var record = new CheckRecord(backup.Id.Value, CheckKind, (passed ? RestoreTestOutcome.Passed : RestoreTestOutcome.Failed).ToString(), detail, startedAt, time.GetUtcNow(), counts);
        string blob = await backup.RecordAsync(vault, record, cancellationToken, source.Copy is null ? null : new Dictionary<string, string> { ["source"] = source.Copy });
        return new RestoreTestOutput(backup.Id.Value, passed, detail, clock.Elapsed.TotalSeconds, blob, source.Warning);
    }

    private async Task<(bool, string, IReadOnlyDictionary<string, long>?)> RestoreAndCompareAsync(
        StoredBackup backup, BlobVault source, ScratchRequest place, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (backup.Inconsistency() is { } inconsistency)
        {
            return (false, inconsistency, null);
        }

        await using var scratch = await backup.Engine.CreateScratchAsync(place, cancellationToken);
        await using var reader = await backup.OpenAsync(source, targets.Keys, cancellationToken);
        if (reader is null)
        {
            return (false, $"data blob '{backup.Manifest.Blobs.Data}' is missing", null);
        }

        if (progress is not null)
        {
            reader.Progress = bytes => progress.Report(new TransferProgress("restore-test", bytes, backup.Manifest.StoredBytes));
        }

        VerificationResult? checksums = null;
        try
        {
            await scratch.RestoreAsync(reader.Raw, new RestoreOptions(Replace: false, ForTest: true,
                VerifyBeforeSwap: async ct => checksums = await reader.FinishAsync(ct)), cancellationToken);
        }
        catch (EngineException e) when (e.Kind == FailureKind.Failed)
        {
            return (false, e.Message, null);
        }
        catch (InvalidDataException e)
        {
            return (false, $"the stored blob does not decompress: {e.Message}", null);
        }

        if (checksums is { IsOk: false })
        {
            return (false, $"restored data failed verification: {checksums.Detail}", null);
        }

        var restored = await scratch.ReadStatsAsync(cancellationToken);
        var (equal, detail) = StatsComparison.Compare(backup.Manifest.SourceStats.Counts, restored.Counts);
        return (equal, $"restored into scratch {scratch.Description}: {detail}", restored.Counts);
    }
}
