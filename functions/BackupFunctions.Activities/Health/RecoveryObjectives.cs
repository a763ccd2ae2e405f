using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Health;

/// <summary>One passed restore test: when it ended and how long it took (the measured recovery time).</summary>
public sealed record RestoreTestTiming(DateTimeOffset At, TimeSpan Duration);

/// <summary>
/// The recovery point achieved over the window: the largest gap between consecutive good (verified)
/// backups, and the age of the newest one. <see cref="Met"/> when both are within the objective (or none is set).
/// </summary>
public sealed record RpoAchieved(TimeSpan? Objective, TimeSpan? LargestGap, TimeSpan? NewestAge, int GoodBackups, bool Met);

/// <summary>
/// The recovery time achieved: the durations of passed restore tests in the window, the last one and
/// the 50th and 95th percentiles (nearest rank). <see cref="Met"/> when the last and p95 are within the objective.
/// </summary>
public sealed record RtoAchieved(TimeSpan? Objective, TimeSpan? Last, TimeSpan? P50, TimeSpan? P95, int RestoreTests, bool Met);

/// <summary>A target's recovery objectives against what its evidence shows; <see cref="Breaches"/> says why in one line each.</summary>
public sealed record ObjectivesReport(RpoAchieved Rpo, RtoAchieved Rto, IReadOnlyList<string> Breaches)
{
    public bool Breached => Breaches.Count > 0;

    /// <summary>How far back the evidence is read.</summary>
    public static TimeSpan Window { get; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Measures the objectives over the last <see cref="Window"/> (pure: the caller gives the evidence
    /// and the clock). Good backups before the window still count for the age of the newest; restore
    /// tests without a recorded duration (records older than the duration metadata) are not given.
    /// </summary>
    public static ObjectivesReport Evaluate(RecoveryObjectiveOptions? objectives, IEnumerable<DateTimeOffset> goodBackups,
        IEnumerable<RestoreTestTiming> restoreTests, DateTimeOffset now)
    {
        var from = now - Window;
        var good = goodBackups.Where(t => t <= now).Order().ToList();
        var inWindow = good.Where(t => t >= from).ToList();
        TimeSpan? gap = inWindow.Count < 2 ? null : inWindow.Zip(inWindow.Skip(1), (a, b) => b - a).Max();
        TimeSpan? age = good.Count == 0 ? null : now - good[^1];

        var durations = restoreTests.Where(t => t.At >= from && t.At <= now).OrderBy(t => t.At).ToList();
        var sorted = durations.Select(t => t.Duration).Order().ToList();
        TimeSpan? last = durations.Count == 0 ? null : durations[^1].Duration;
        TimeSpan? p50 = Percentile(sorted, 0.50);
        TimeSpan? p95 = Percentile(sorted, 0.95);

        var breaches = new List<string>();
        if (objectives?.Rpo is { } rpo)
        {
            if (age is null)
            {
                breaches.Add($"RPO {Text(rpo)}: there is no good backup");
            }
            else if (age > rpo)
            {
                breaches.Add($"RPO {Text(rpo)}: the newest good backup is {Text(age.Value)} old");
            }

            if (gap is { } g && g > rpo)
            {
                breaches.Add($"RPO {Text(rpo)}: a gap of {Text(g)} between good backups in the last {Window.TotalDays:F0} days");
            }
        }

        if (objectives?.Rto is { } rto)
        {
            if (last is null)
            {
                breaches.Add($"RTO {Text(rto)}: no passed restore test with a recorded duration in the last {Window.TotalDays:F0} days");
            }
            else if (last > rto)
            {
                breaches.Add($"RTO {Text(rto)}: the last restore test took {Text(last.Value)}");
            }
            else if (p95 > rto)
            {
                breaches.Add($"RTO {Text(rto)}: p95 of {sorted.Count} restore tests is {Text(p95!.Value)}");
            }
        }

        bool rpoMet = !breaches.Any(b => b.StartsWith("RPO", StringComparison.Ordinal));
        bool rtoMet = !breaches.Any(b => b.StartsWith("RTO", StringComparison.Ordinal));
        return new ObjectivesReport(
            new RpoAchieved(objectives?.Rpo, Round(gap), Round(age), inWindow.Count, rpoMet),
            new RtoAchieved(objectives?.Rto, Round(last), Round(p50), Round(p95), sorted.Count, rtoMet),
            breaches);
    }

    /// <summary>The evidence of one target from its catalog entries (newest first, with their check listings).</summary>
    public static ObjectivesReport Evaluate(RecoveryObjectiveOptions? objectives, IEnumerable<CatalogEntry> entries, DateTimeOffset now)
    {
        var list = entries.ToList();
        return Evaluate(objectives,
            list.Where(e => e.LastVerify == VerificationStatus.Ok).Select(e => e.Manifest.CompletedAt),
            list.SelectMany(e => e.Checks ?? []).Select(RestoreTestTimingOf).OfType<RestoreTestTiming>(),
            now);
    }

    /// <summary>A passed restore test's timing from its listing; null for other checks, failed tests, and records without a duration.</summary>
    public static RestoreTestTiming? RestoreTestTimingOf(Vault.Storage.CheckSummary check) =>
        check.Kind == RestoreTestActivity.CheckKind && check.Outcome == nameof(RestoreTestOutcome.Passed) && CheckDurations.Of(check) is { } d
            ? new RestoreTestTiming(check.At, d)
            : null;

    /// <summary>Nearest rank: the smallest value with at least <paramref name="q"/> of the values at or below it.</summary>
    public static TimeSpan? Percentile(IReadOnlyList<TimeSpan> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static TimeSpan? Round(TimeSpan? t) => t is { } v ? TimeSpan.FromSeconds(Math.Round(v.TotalSeconds, 1)) : null;

    /// <summary>A duration as people read it: 45 s, 12.5 min, 26.0 h, 3.2 d.</summary>
    public static string Text(TimeSpan t) => t.TotalSeconds < 90 ? $"{t.TotalSeconds:F0} s"
        : t.TotalMinutes < 90 ? $"{t.TotalMinutes:F1} min"
        : t.TotalHours < 48 ? $"{t.TotalHours:F1} h"
        : $"{t.TotalDays:F1} d";
}
