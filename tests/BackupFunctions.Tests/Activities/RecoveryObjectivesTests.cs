using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.Tests.Activities;

/// <summary>RPO (largest gap between good backups, age of the newest) and RTO (restore-test durations) measured against the objectives.</summary>
public class RecoveryObjectivesTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private static readonly RecoveryObjectiveOptions Hourly = new() { Rpo = TimeSpan.FromHours(1), Rto = TimeSpan.FromMinutes(15) };

    private static DateTimeOffset Ago(double hours) => Clock.GetUtcNow().AddHours(-hours);

    private static RestoreTestTiming Test(double hoursAgo, double seconds) => new(Ago(hoursAgo), TimeSpan.FromSeconds(seconds));

    [Fact]
    public void LargestGap_IsBetweenConsecutiveGoodBackups_AndAgeIsOfTheNewest()
    {
        var o = ObjectivesReport.Evaluate(Hourly, [Ago(10), Ago(9.5), Ago(6), Ago(5), Ago(0.25)], [Test(1, 60)], Clock.GetUtcNow());

        Assert.Equal(TimeSpan.FromHours(4.75), o.Rpo.LargestGap); // 5 h ago -> 0.25 h ago
        Assert.Equal(TimeSpan.FromMinutes(15), o.Rpo.NewestAge);
        Assert.Equal(5, o.Rpo.GoodBackups);
        Assert.False(o.Rpo.Met);
        Assert.Contains(o.Breaches, b => b.StartsWith("RPO 60.0 min: a gap of 4.8 h between good backups", StringComparison.Ordinal));
    }

    [Fact]
    public void AStaleNewestBackup_BreachesRpo_EvenWithoutGaps()
    {
        var o = ObjectivesReport.Evaluate(Hourly, [Ago(3), Ago(2.5)], [Test(1, 60)], Clock.GetUtcNow());

        Assert.Equal(TimeSpan.FromMinutes(30), o.Rpo.LargestGap);
        Assert.Equal(TimeSpan.FromHours(2.5), o.Rpo.NewestAge);
        Assert.Equal(["RPO 60.0 min: the newest good backup is 2.5 h old"], o.Breaches);
    }

    [Fact]
    public void TimePassing_TurnsAMetRpoIntoABreach()
    {
        var clock = new FakeTimeProvider(Clock.GetUtcNow());
        DateTimeOffset[] backups = [Ago(0.9), Ago(0.4)];
        Assert.False(ObjectivesReport.Evaluate(Hourly, backups, [Test(0.3, 30)], clock.GetUtcNow()).Breached);

        clock.Advance(TimeSpan.FromMinutes(40));

        var later = ObjectivesReport.Evaluate(Hourly, backups, [Test(0.3, 30)], clock.GetUtcNow());
        Assert.True(later.Breached);
        Assert.Equal(TimeSpan.FromMinutes(64), later.Rpo.NewestAge);
    }

    [Fact]
    public void BackupsOlderThanTheWindow_DoNotMakeGaps_ButStillCountForTheAge()
    {
        var o = ObjectivesReport.Evaluate(new RecoveryObjectiveOptions { Rpo = TimeSpan.FromDays(40) }, [Ago(24 * 60), Ago(24 * 31)], [], Clock.GetUtcNow());

        Assert.Null(o.Rpo.LargestGap);
        Assert.Equal(0, o.Rpo.GoodBackups);
        Assert.Equal(TimeSpan.FromDays(31), o.Rpo.NewestAge);
        Assert.True(o.Rpo.Met);
    }

    [Fact]
    public void RestoreTestDurations_GiveLastP50AndP95_ByNearestRank()
    {
        // 20 tests of 1..20 minutes, oldest first; the last one took 3 minutes.
        var tests = Enumerable.Range(1, 20).Select(i => Test(48 - i, i * 60)).Append(Test(0.5, 180)).ToList();

        var o = ObjectivesReport.Evaluate(Hourly, [Ago(0.5)], tests, Clock.GetUtcNow());

        Assert.Equal(TimeSpan.FromMinutes(3), o.Rto.Last);
        Assert.Equal(TimeSpan.FromMinutes(10), o.Rto.P50); // 21 values: rank ceil(10.5) = 11th = 10 min (1, 2, 3, 3, 4, ...)
        Assert.Equal(TimeSpan.FromMinutes(19), o.Rto.P95); // rank ceil(19.95) = 20th
        Assert.Equal(21, o.Rto.RestoreTests);
        Assert.False(o.Rto.Met);
        Assert.Equal(["RTO 15.0 min: p95 of 21 restore tests is 19.0 min"], o.Breaches);
    }

    [Fact]
    public void AFastLastTest_StillBreaches_WhenTheLastOneIsSlow()
    {
        var o = ObjectivesReport.Evaluate(Hourly, [Ago(0.5)], [Test(5, 60), Test(1, 20 * 60)], Clock.GetUtcNow());

        Assert.Equal(["RTO 15.0 min: the last restore test took 20.0 min"], o.Breaches);
    }

    [Fact]
    public void NoEvidence_IsABreachOfEachObjectiveSet_AndNoObjectivesIsNeverOne()
    {
        var none = ObjectivesReport.Evaluate(Hourly, [], [Test(24 * 31, 10)], Clock.GetUtcNow()); // the only test is outside the window

        Assert.Equal(["RPO 60.0 min: there is no good backup", "RTO 15.0 min: no passed restore test with a recorded duration in the last 30 days"], none.Breaches);
        Assert.False(ObjectivesReport.Evaluate(null, [], [], Clock.GetUtcNow()).Breached);
        Assert.False(ObjectivesReport.Evaluate(new RecoveryObjectiveOptions { Rto = TimeSpan.FromHours(1) }, [], [Test(1, 30)], Clock.GetUtcNow()).Breached);
    }

    [Fact]
    public void Percentile_OfOneValue_IsThatValue_AndOfNone_IsNull()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), ObjectivesReport.Percentile([TimeSpan.FromSeconds(7)], 0.95));
        Assert.Null(ObjectivesReport.Percentile([], 0.5));
    }
}
