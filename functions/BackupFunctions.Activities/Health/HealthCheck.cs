using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Health;

/// <summary>Freshness of one target: its last good backup and restore test, and ok / late / failing / none.</summary>
public sealed record TargetHealth(
    string Target,
    HealthStatus Status,
    string? LastGoodBackup,
    DateTimeOffset? LastGoodBackupAt,
    double? AgeHours,
    string? LastPassedRestoreTest,
    DateTimeOffset? DueAt,
    string Reason,
    ObjectivesReport? Objectives = null);

/// <summary>The health of every target and the overall status (failing, then missing, then late, then warning, then pending, else ok): GET /api/health on both hosts.</summary>
public sealed record HealthSummary(HealthStatus Status, IReadOnlyList<TargetHealth> Targets)
{
    public static HealthSummary Of(IReadOnlyList<TargetHealth> targets) =>
        new(targets.Any(t => t.Status == HealthStatus.Failing) ? HealthStatus.Failing
            : targets.Any(t => t.Status == HealthStatus.Missing) ? HealthStatus.Missing
            : targets.Any(t => t.Status == HealthStatus.Late) ? HealthStatus.Late
            : targets.Any(t => t.Status == HealthStatus.Warning) ? HealthStatus.Warning
            : targets.Any(t => t.Status == HealthStatus.Pending) ? HealthStatus.Pending
            : HealthStatus.Ok, targets);
}

/// <summary>
/// Evaluates each target from the catalog, its newest run report and the schedule, first rule that holds:
/// <list type="bullet">
/// <item><b>failing</b>: the newest run that names the target (and ended after its newest backup) failed;
/// or the newest backup failed verification or its restore test; or no backup was verified within the grace.</item>
/// <item><b>missing</b>: never backed up (and no run of it failed).</item>
/// <item><b>pending</b>: no verified backup yet, and the newest is younger than the grace: its verify is due.</item>
/// <item><b>late</b>: no verified backup since the last scheduled time, once the grace has passed.</item>
/// <item><b>warning</b>: otherwise ok, but the target's recovery objectives (RPO, RTO) are not met.</item>
/// <item><b>ok</b>: otherwise.</item>
/// </list>
/// Every state but ok, warning and pending is an alert (exit 3, HTTP 503, a notification). This is how
/// silently stopped backups become visible.
/// </summary>
public sealed class HealthCheck(BackupCatalog catalog, RunHistory runs, Targets targets, TimeProvider time)
{
    /// <summary>How long after a scheduled time a backup may still be running before the target counts as late.</summary>
    public static TimeSpan Grace { get; } = TimeSpan.FromHours(2);

    /// <summary>Every target's health and the overall status.</summary>
    public async Task<HealthSummary> SummarizeAsync(CancellationToken cancellationToken) => HealthSummary.Of(await EvaluateAsync(cancellationToken));

    public async Task<IReadOnlyList<TargetHealth>> EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var catalogs = new Dictionary<string, IReadOnlyList<CatalogEntry>>(StringComparer.Ordinal);
        foreach (string target in targets.Names)
        {
            catalogs[target] = await catalog.ListAsync(target, cancellationToken);
        }

        // A run counts when it ended at or after the target's newest backup: an older failure was overtaken.
        var lastRuns = await runs.LatestAsync(
            catalogs.ToDictionary(c => c.Key, c => c.Value.Count == 0 ? now.AddDays(-RunHistory.LookBackDays) : c.Value[0].Manifest.CompletedAt, StringComparer.Ordinal),
            now, cancellationToken);
        var results = new List<TargetHealth>();
        foreach (string target in targets.Names)
        {
            var entries = catalogs[target];
            var failedRun = lastRuns.GetValueOrDefault(target) is { Target.Succeeded: false } run ? run : null;
            string schedule = targets.ScheduleOf(target);
            var previous = Schedules.Previous(schedule, now.UtcDateTime);
            DateTimeOffset? due = previous is null ? null : new DateTimeOffset(DateTime.SpecifyKind(previous.Value, DateTimeKind.Utc));
            var good = entries.FirstOrDefault(e => e.LastVerify == VerificationStatus.Ok);
            string? restored = entries.FirstOrDefault(e => e.LastRestoreTest == RestoreTestOutcome.Passed)?.Manifest.Id;
            double? age = good is null ? null : Math.Round((now - good.Manifest.CompletedAt).TotalHours, 2);

            (HealthStatus status, string reason) = entries.Count switch
            {
                _ when failedRun is not null => (HealthStatus.Failing, $"last run failed: {failedRun.Target.Error ?? "no reason recorded"} (run {failedRun.RunId})"),
                0 => (HealthStatus.Missing, "never backed up"),
                _ when entries[0].LastVerify is { } v && v != VerificationStatus.Ok => (HealthStatus.Failing, $"newest backup {entries[0].Manifest.Id} failed verification ({v})"),
                _ when entries[0].LastRestoreTest == RestoreTestOutcome.Failed => (HealthStatus.Failing, $"newest backup {entries[0].Manifest.Id} failed its restore test"),
                _ when good is null && now - entries[0].Manifest.CompletedAt < Grace =>
                    (HealthStatus.Pending, $"newest backup {entries[0].Manifest.Id} awaits verification"),
                _ when good is null => (HealthStatus.Failing, $"no backup has been verified (newest {entries[0].Manifest.Id}, {(now - entries[0].Manifest.CompletedAt).TotalHours:F1} h old)"),
                _ when due is { } d && good.Manifest.CompletedAt < d && now > d + Grace =>
                    (HealthStatus.Late, $"no good backup since the run due at {d:u} (schedule \"{schedule}\")"),
                _ => (HealthStatus.Ok, $"last good backup {age:F1} h ago"),
            };
            var wanted = targets.ObjectivesOf(target);
            var objectives = wanted is null ? null : ObjectivesReport.Evaluate(wanted, entries, now);
            if (status == HealthStatus.Ok && objectives is { Breached: true })
            {
                (status, reason) = (HealthStatus.Warning, "objectives not met: " + string.Join("; ", objectives.Breaches));
            }
            else if (status == HealthStatus.Ok && targets.RestoreTestDisabled(target))
            {
                // No restore proof is ever "ok": the backups verify, but nothing shows they restore.
                (status, reason) = (HealthStatus.Warning, $"restore test disabled (RestoreTest:Enabled is false); {reason}");
            }

            results.Add(new TargetHealth(target, status, good?.Manifest.Id, good?.Manifest.CompletedAt, age, restored, due, reason, objectives));
            Telemetry.BackupTelemetry.HealthEvaluated(target, status.Word(), age);
        }

        return results;
    }
}
