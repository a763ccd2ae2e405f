using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Anomalies;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>The anomaly guard's verdict on one backup and its check record; Outcome null when the guard is off for the target.</summary>
public sealed record CheckAnomalyOutput(string BackupId, AnomalyOutcome? Outcome, string Detail, string? CheckBlob)
{
    public bool IsSuspect => Outcome == AnomalyOutcome.Suspect;
}

/// <summary>
/// Compares a verified backup's raw size and counts with the median of the target's last Window good
/// backups (<see cref="AnomalyDetector"/>; good = verified Ok and not an unacknowledged suspect; an
/// acknowledged suspect is the newest baseline that counts together with the ones after it, never the ones before) and records the verdict as an "anomaly" check record. A
/// suspect backup is kept and listed like any other; it freezes pruning of its target and makes its
/// health suspect until acknowledged (<see cref="AcknowledgeActivity"/>). Baselines are backups
/// completed before this one, so a retried attempt reaches the same verdict (and adds one more record).
/// </summary>
public sealed class CheckAnomalyActivity(BlobVault vault, Targets targets, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null)
    : BackupActivity<string, CheckAnomalyOutput>(loggers, environment)
{
    public const string CheckKind = "anomaly";

    /// <summary>What run reports say of a target whose Anomaly:Enabled is false.</summary>
    public const string DisabledDetail = "anomaly guard disabled (Anomaly:Enabled is false)";

    protected override Task<CheckAnomalyOutput> ExecuteAsync(string input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, cancellationToken);

    public async Task<CheckAnomalyOutput> RunAsync(string backupId, CancellationToken cancellationToken)
    {
        var backup = await StoredBackup.GetAsync(vault, targets, backupId, cancellationToken);
        var options = targets.Resolve(backup.Manifest.Target).Options.Anomaly;
        if (!options.Enabled)
        {
            return new CheckAnomalyOutput(backup.Id.Value, null, DisabledDetail, null);
        }

        var startedAt = time.GetUtcNow();
        var entries = await new BackupCatalog(vault, targets).ListAsync(backup.Manifest.Target, cancellationToken);
        var baselines = new List<AnomalySample>();
        foreach (var e in entries.Where(e => e.Manifest.Id != backup.Id.Value && e.Manifest.CompletedAt <= backup.Manifest.CompletedAt && e.IsGoodBaseline))
        {
            baselines.Add(Sample(e.Manifest)); // newest first
            if (e.LastAnomaly == AnomalyOutcome.Suspect)
            {
                break; // an acknowledged suspect is the accepted new normal: the backups before it no longer describe the data
            }
        }

        var verdict = AnomalyDetector.Compare(Sample(backup.Manifest), baselines,
            new AnomalyThresholds(options.MaxShrinkPercent, options.MaxGrowPercent, options.Window));
        var record = new CheckRecord(backup.Id.Value, CheckKind, verdict.Outcome.ToString(), verdict.Detail, startedAt, time.GetUtcNow(),
            Findings: verdict.Findings);
        string blob = await backup.RecordAsync(vault, record, cancellationToken);
        return new CheckAnomalyOutput(backup.Id.Value, verdict.Outcome, verdict.Detail, blob);
    }

    private static AnomalySample Sample(BackupManifest m) => new(m.Id, m.RawBytes, m.SourceStats.Counts);
}
