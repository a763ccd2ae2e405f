using BackupFunctions.Vault.Retention;
using FsCheck;
using FsCheck.Fluent;

namespace BackupFunctions.Tests.Vault.Retention;

/// <summary>Properties of the planner over random histories, policies and guards (FsCheck).</summary>
public class RetentionPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public sealed record History(List<BackupFacts> Backups, RetentionPolicy Policy, RetentionGuards Guards);

    private static readonly Gen<BackupFacts> Backup =
        from minutesAgo in Gen.Choose(0, 3 * 365 * 24 * 60)
        from verified in Gen.Elements(true, false)
        from tested in Gen.Elements(true, false, false)
        from immutableDays in Gen.Choose(-30, 30)
        from held in Gen.Frequency((1, Gen.Constant(true)), (9, Gen.Constant(false)))
        from suffix in Gen.Choose(0, 0xffff)
        select new BackupFacts($"t-{minutesAgo}-{suffix:x4}", Now.AddMinutes(-minutesAgo), verified, verified && tested,
            immutableDays > 20 ? Now.AddDays(immutableDays - 20) : null, held);

    private static readonly Gen<History> Cases =
        from backups in Gen.ListOf(Backup)
        from last in Gen.Choose(0, 5)
        from daily in Gen.Choose(0, 10)
        from weekly in Gen.Choose(0, 6)
        from monthly in Gen.Choose(0, 13)
        from yearly in Gen.Choose(0, 3)
        from minAgeDays in Gen.Choose(0, 10)
        from running in Gen.Frequency((1, Gen.Constant(true)), (9, Gen.Constant(false)))
        select new History(backups.DistinctBy(b => b.Id).ToList(), new RetentionPolicy(last, daily, weekly, monthly, yearly),
            new RetentionGuards(TimeSpan.FromDays(minAgeDays), running));

    private static RetentionPlan Plan(History c) => RetentionPlanner.Plan(c.Backups, c.Policy, Now, c.Guards);

    [Fact]
    public void Guards_AreNeverRemoved()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var removed = Plan(c).Removed.Select(d => d.Id).ToHashSet();
            var newestFirst = c.Backups.OrderByDescending(b => b.CompletedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
            var protectedIds = c.Backups.Where(b =>
                    c.Guards.TargetRunning || Now - b.CompletedAt < c.Guards.MinAge || b.ImmutableUntil > Now || b.LegalHold)
                .Select(b => b.Id)
                .Concat(newestFirst.Where(b => b.Verified).Take(1).Select(b => b.Id))
                .Concat(newestFirst.Where(b => b.RestoreTested).Take(1).Select(b => b.Id));
            return !protectedIds.Any(removed.Contains);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Plan_IsStable_PlanningAgainAfterApplyingItRemovesNothingMore()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var kept = Plan(c).Kept.Select(d => d.Id).ToHashSet();
            var again = RetentionPlanner.Plan(c.Backups.Where(b => kept.Contains(b.Id)), c.Policy, Now, c.Guards);
            return !again.Removed.Any();
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void KeepLast_TheNewestNAreAlwaysKept_AndEveryKeptBackupHasAReason()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var plan = Plan(c);
            var newest = c.Backups.OrderByDescending(b => b.CompletedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal)
                .Take(c.Policy.KeepLast).Select(b => b.Id);
            var kept = plan.Kept.Select(d => d.Id).ToHashSet();
            return newest.All(kept.Contains) && plan.Decisions.All(d => d.Keep == (d.Reasons.Count > 0)) && plan.Decisions.Count == c.Backups.Count;
        }).QuickCheckThrowOnFailure();
    }
}
