using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
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
    string Reason);

/// <summary>
/// Evaluates freshness per target from the catalog and the schedule:
/// <list type="bullet">
/// <item><b>failing</b>: the newest backup failed verification or its restore test.</item>
/// <item><b>late</b>: no good (verified) backup since the last scheduled time, once a grace period has passed.</item>
/// <item><b>missing</b>: never backed up. <b>ok</b>: otherwise. Every state but ok is an alert (exit 3, HTTP 503).</item>
/// </list>
/// This is how silently stopped backups become visible.
/// </summary>
/// <summary>The health of every target and the overall status (failing, then missing, then late, else ok): GET /api/health on both hosts.</summary>
public sealed record HealthSummary(HealthStatus Status, IReadOnlyList<TargetHealth> Targets)
{
    public static HealthSummary Of(IReadOnlyList<TargetHealth> targets) =>
        new(targets.Any(t => t.Status == HealthStatus.Failing) ? HealthStatus.Failing
            : targets.Any(t => t.Status == HealthStatus.Missing) ? HealthStatus.Missing
            : targets.Any(t => t.Status == HealthStatus.Late) ? HealthStatus.Late
            : HealthStatus.Ok, targets);
}

public sealed class HealthCheck(BackupCatalog catalog, Targets targets, TimeProvider time)
{
    /// <summary>How long after a scheduled time a backup may still be running before the target counts as late.</summary>
    public static TimeSpan Grace { get; } = TimeSpan.FromHours(2);

    /// <summary>Every target's health and the overall status.</summary>
    public async Task<HealthSummary> SummarizeAsync(CancellationToken cancellationToken) => HealthSummary.Of(await EvaluateAsync(cancellationToken));

    public async Task<IReadOnlyList<TargetHealth>> EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var results = new List<TargetHealth>();
        foreach (string target in targets.Names)
        {
            var entries = await catalog.ListAsync(target, cancellationToken);
            string schedule = targets.ScheduleOf(target);
            var previous = Schedules.Previous(schedule, now.UtcDateTime);
            DateTimeOffset? due = previous is null ? null : new DateTimeOffset(DateTime.SpecifyKind(previous.Value, DateTimeKind.Utc));
            var good = entries.FirstOrDefault(e => e.LastVerify == VerificationStatus.Ok);
            string? restored = entries.FirstOrDefault(e => e.LastRestoreTest == RestoreTestOutcome.Passed)?.Manifest.Id;
            double? age = good is null ? null : Math.Round((now - good.Manifest.CompletedAt).TotalHours, 2);

            (HealthStatus status, string reason) = entries.Count switch
            {
                0 => (HealthStatus.Missing, "never backed up"),
                _ when entries[0].LastVerify is { } v && v != VerificationStatus.Ok => (HealthStatus.Failing, $"newest backup {entries[0].Manifest.Id} failed verification ({v})"),
                _ when entries[0].LastRestoreTest == RestoreTestOutcome.Failed => (HealthStatus.Failing, $"newest backup {entries[0].Manifest.Id} failed its restore test"),
                _ when good is null => (HealthStatus.Failing, "no backup has been verified"),
                _ when due is { } d && good.Manifest.CompletedAt < d && now > d + Grace =>
                    (HealthStatus.Late, $"no good backup since the run due at {d:u} (schedule \"{schedule}\")"),
                _ => (HealthStatus.Ok, $"last good backup {age:F1} h ago"),
            };
            results.Add(new TargetHealth(target, status, good?.Manifest.Id, good?.Manifest.CompletedAt, age, restored, due, reason));
            Telemetry.BackupTelemetry.HealthEvaluated(target, status.Word(), age);
        }

        return results;
    }
}
