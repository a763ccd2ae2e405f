using BackupFunctions.Vault.Retention;

namespace BackupFunctions.Tests.Vault.Retention;

public class RetentionPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetentionGuards NoGuards = new(TimeSpan.Zero);

    private static BackupFacts At(string id, string utc, bool verified = false, bool tested = false) =>
        new(id, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), verified, tested);

    private static RetentionPolicy Only(int last = 0, int daily = 0, int weekly = 0, int monthly = 0, int yearly = 0) =>
        new(last, daily, weekly, monthly, yearly);

    [Fact]
    public void KeepLast_KeepsTheNewestN_AndRemovesTheRest()
    {
        var backups = Enumerable.Range(1, 5).Select(i => At($"b{i}", $"2026-11-{10 + i}T02:00:00Z")).ToList();

        var plan = RetentionPlanner.Plan(backups, Only(last: 3), Now, NoGuards);

        Assert.Equal(["b5", "b4", "b3"], plan.Kept.Select(d => d.Id));
        Assert.Equal(["b2", "b1"], plan.Removed.Select(d => d.Id));
        Assert.Equal(["last 3 (#1)"], plan.Decisions[0].Reasons);
    }

    [Fact]
    public void Daily_KeepsTheNewestOfEachOfTheNewestDaysThatHaveBackups()
    {
        BackupFacts[] backups =
        [
            At("d1-early", "2026-11-01T01:00:00Z"), At("d1-late", "2026-11-01T23:00:00Z"),
            At("d5", "2026-11-05T02:00:00Z"),
            At("d9-early", "2026-11-09T02:00:00Z"), At("d9-late", "2026-11-09T14:00:00Z"),
        ];

        var plan = RetentionPlanner.Plan(backups, Only(daily: 2), Now, NoGuards);

        // A gap of days without backups does not use up the daily slots.
        Assert.Equal(["d9-late", "d5"], plan.Kept.Select(d => d.Id));
        Assert.Equal(["daily 2026-11-09"], plan.Decisions.Single(d => d.Id == "d9-late").Reasons);
    }

    [Fact]
    public void Weekly_UsesIsoWeeks_AcrossTheYearBoundary()
    {
        // 2026-12-31 (Thursday) and 2027-01-01 (Friday) are both in ISO week 2026-W53.
        BackupFacts[] backups = [At("thu", "2026-12-31T02:00:00Z"), At("fri", "2027-01-01T02:00:00Z"), At("prev", "2026-12-24T02:00:00Z")];

        var plan = RetentionPlanner.Plan(backups, Only(weekly: 2), new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero), NoGuards);

        Assert.Equal(["fri", "prev"], plan.Kept.Select(d => d.Id));
        Assert.Equal(["weekly 2026-W53"], plan.Decisions.Single(d => d.Id == "fri").Reasons);
    }

    [Fact]
    public void Buckets_FollowTheConfiguredTimeZone()
    {
        // 23:30 UTC on the 22nd is already the 23rd in Berlin.
        BackupFacts[] backups = [At("late", "2026-11-22T23:30:00Z"), At("earlier", "2026-11-22T10:00:00Z")];
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        var utc = RetentionPlanner.Plan(backups, Only(daily: 1), Now, NoGuards);
        var local = RetentionPlanner.Plan(backups, Only(daily: 1) with { TimeZone = berlin }, Now, NoGuards);

        Assert.Equal(["daily 2026-11-22"], utc.Decisions.Single(d => d.Id == "late").Reasons);
        Assert.Equal(["daily 2026-11-23"], local.Decisions.Single(d => d.Id == "late").Reasons);
    }

    [Fact]
    public void Reasons_ListEveryReasonABackupIsKept()
    {
        BackupFacts[] backups = [At("new", "2026-11-21T02:00:00Z", verified: true, tested: true), At("old", "2025-06-01T02:00:00Z")];

        var reasons = RetentionPlanner.Plan(backups, new RetentionPolicy(1, 1, 1, 1, 1), Now, NoGuards).Decisions[0].Reasons;

        Assert.Equal(["last 1 (#1)", "daily 2026-11-21", "weekly 2026-W47", "monthly 2026-11", "yearly 2026",
            "guard: newest backup that passed a restore test", "guard: newest verified backup"], reasons);
    }

    [Fact]
    public void Guards_KeepWhatNoPolicyWould()
    {
        BackupFacts[] backups =
        [
            At("newest-unverified", "2026-11-22T02:00:00Z"),
            At("verified", "2026-11-10T02:00:00Z", verified: true),
            At("tested", "2026-11-01T02:00:00Z", verified: true, tested: true),
            At("immutable", "2026-10-01T02:00:00Z") with { ImmutableUntil = Now.AddDays(1) },
            At("held", "2026-09-01T02:00:00Z") with { LegalHold = true },
            At("expired-immutability", "2026-08-01T02:00:00Z") with { ImmutableUntil = Now.AddDays(-1) },
        ];

        var plan = RetentionPlanner.Plan(backups, Only(), Now, new RetentionGuards(TimeSpan.FromDays(1)));

        Assert.Equal(["newest-unverified", "verified", "tested", "immutable", "held"], plan.Kept.Select(d => d.Id));
        Assert.Equal(["expired-immutability"], plan.Removed.Select(d => d.Id));
        Assert.Contains("guard: younger than 1 days", plan.Decisions[0].Reasons);
    }

    [Fact]
    public void Guards_WhileABackupOfTheTargetRuns_NothingIsRemoved()
    {
        var backups = Enumerable.Range(1, 4).Select(i => At($"b{i}", $"2026-10-{10 + i}T02:00:00Z")).ToList();

        var plan = RetentionPlanner.Plan(backups, Only(), Now, new RetentionGuards(TimeSpan.Zero, TargetRunning: true));

        Assert.Empty(plan.Removed);
    }

    [Fact]
    public void SuspectBackup_FreezesTheWholeTarget_WhateverThePolicy_AndSaysWhichAndHowToAck()
    {
        var backups = Enumerable.Range(1, 4).Select(i => At($"b{i}", $"2026-11-{10 + i}T02:00:00Z", verified: true)).ToList();

        var frozen = RetentionPlanner.Plan(backups, Only(last: 1), Now, new RetentionGuards(TimeSpan.Zero, Suspects: ["b4"]));
        var released = RetentionPlanner.Plan(backups, Only(last: 1), Now, new RetentionGuards(TimeSpan.Zero, Suspects: []));

        Assert.Empty(frozen.Removed);
        Assert.All(frozen.Decisions, d => Assert.Contains("guard: pruning frozen: suspect backup b4 not acknowledged (backupfn ack ID)", d.Reasons));
        Assert.Equal(["b3", "b2", "b1"], released.Removed.Select(d => d.Id));
    }
}
