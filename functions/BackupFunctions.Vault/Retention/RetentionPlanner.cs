using System.Globalization;

namespace BackupFunctions.Vault.Retention;

/// <summary>How many backups to keep, by count and by calendar bucket (restic's forget policy).</summary>
public sealed record RetentionPolicy(int KeepLast, int KeepDaily, int KeepWeekly, int KeepMonthly, int KeepYearly, TimeZoneInfo? TimeZone = null);

/// <summary>What the planner needs to know about one backup.</summary>
public sealed record BackupFacts(
    string Id,
    DateTimeOffset CompletedAt,
    bool Verified,
    bool RestoreTested,
    DateTimeOffset? ImmutableUntil = null,
    bool LegalHold = false);

/// <summary>
/// Protections no policy can override: a minimum age, a target whose backup is running, and a target with
/// unacknowledged suspect backups (the anomaly guard: <see cref="Suspects"/> freeze pruning of the whole target).
/// </summary>
public sealed record RetentionGuards(TimeSpan MinAge, bool TargetRunning = false, IReadOnlyList<string>? Suspects = null);

/// <summary>Keep or remove one backup, with every reason it is kept.</summary>
public sealed record RetentionDecision(string Id, DateTimeOffset CompletedAt, bool Keep, IReadOnlyList<string> Reasons);

/// <summary>The decisions for one target, newest first.</summary>
public sealed record RetentionPlan(IReadOnlyList<RetentionDecision> Decisions)
{
    public IEnumerable<RetentionDecision> Kept => Decisions.Where(d => d.Keep);

    public IEnumerable<RetentionDecision> Removed => Decisions.Where(d => !d.Keep);
}

/// <summary>
/// Pure retention planning (see README.md beside this file). Kept: the newest <c>KeepLast</c>, and the
/// newest backup of each of the newest <c>KeepDaily</c> days, <c>KeepWeekly</c> ISO weeks,
/// <c>KeepMonthly</c> months and <c>KeepYearly</c> years that have backups (calendar buckets in UTC or
/// the policy's time zone). Then the guards, which no policy overrides: the newest restore-tested and
/// the newest verified backup, anything younger than the minimum age, under an unexpired
/// immutability policy or a legal hold, and everything while a backup of the target is running or one of
/// its backups is an unacknowledged suspect.
/// </summary>
public static class RetentionPlanner
{
    public static RetentionPlan Plan(IEnumerable<BackupFacts> backups, RetentionPolicy policy, DateTimeOffset now, RetentionGuards guards)
    {
        var ordered = backups
            .OrderByDescending(b => b.CompletedAt)
            .ThenByDescending(b => b.Id, StringComparer.Ordinal)
            .ToList();
        var reasons = ordered.ToDictionary(b => b.Id, _ => new List<string>(), StringComparer.Ordinal);

        for (int i = 0; i < Math.Min(policy.KeepLast, ordered.Count); i++)
        {
            reasons[ordered[i].Id].Add($"last {policy.KeepLast} (#{i + 1})");
        }

        var zone = policy.TimeZone ?? TimeZoneInfo.Utc;
        KeepNewestPerBucket(ordered, reasons, policy.KeepDaily, "daily", b => Local(b, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        KeepNewestPerBucket(ordered, reasons, policy.KeepWeekly, "weekly", b =>
        {
            var d = Local(b, zone);
            return string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(d)}-W{ISOWeek.GetWeekOfYear(d):D2}");
        });
        KeepNewestPerBucket(ordered, reasons, policy.KeepMonthly, "monthly", b => Local(b, zone).ToString("yyyy-MM", CultureInfo.InvariantCulture));
        KeepNewestPerBucket(ordered, reasons, policy.KeepYearly, "yearly", b => Local(b, zone).ToString("yyyy", CultureInfo.InvariantCulture));

        if (ordered.FirstOrDefault(b => b.RestoreTested) is { } tested)
        {
            reasons[tested.Id].Add("guard: newest backup that passed a restore test");
        }

        if (ordered.FirstOrDefault(b => b.Verified) is { } verified)
        {
            reasons[verified.Id].Add("guard: newest verified backup");
        }

        foreach (var b in ordered)
        {
            var r = reasons[b.Id];
            // Only when a minimum age is set; a backup stamped after "now" (clock skew) then counts as young.
            if (guards.MinAge > TimeSpan.Zero && now - b.CompletedAt < guards.MinAge)
            {
                r.Add($"guard: younger than {guards.MinAge.TotalDays:0.##} days");
            }

            if (b.ImmutableUntil is { } until && until > now)
            {
                r.Add($"guard: immutable until {until:u}");
            }

            if (b.LegalHold)
            {
                r.Add("guard: legal hold");
            }

            if (guards.TargetRunning)
            {
                r.Add("guard: a backup of this target is running");
            }

            if (guards.Suspects is { Count: > 0 } suspects)
            {
                r.Add($"guard: pruning frozen: suspect backup {string.Join(", ", suspects)} not acknowledged (backupfn ack ID)");
            }
        }

        return new RetentionPlan(ordered.Select(b => new RetentionDecision(b.Id, b.CompletedAt, reasons[b.Id].Count > 0, reasons[b.Id])).ToList());
    }

    private static DateTime Local(BackupFacts b, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(b.CompletedAt, zone).DateTime;

    /// <summary>Walks newest first; the first backup seen in each new bucket is that bucket's newest, until <paramref name="count"/> buckets.</summary>
    private static void KeepNewestPerBucket(List<BackupFacts> ordered, Dictionary<string, List<string>> reasons, int count, string kind, Func<BackupFacts, string> bucket)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in ordered)
        {
            if (seen.Count == count)
            {
                return;
            }

            string key = bucket(b);
            if (seen.Add(key))
            {
                reasons[b.Id].Add($"{kind} {key}");
            }
        }
    }
}
