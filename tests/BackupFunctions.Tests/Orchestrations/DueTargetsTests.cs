using BackupFunctions.Activities.Configuration;
using BackupFunctions.Orchestrations.Intake;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>The due-targets decision both hosts' timers use.</summary>
public class DueTargetsTests
{
    private static BackupOptions Options() => new()
    {
        Schedule = "0 0 2 * * *",
        Targets =
        {
            ["orders"] = new TargetOptions { Engine = "postgres", Connection = "Host=x" },
            ["cache"] = new TargetOptions { Engine = "redis", Connection = "x:6379", Schedule = "0 0 * * * *" },
            ["graph"] = new TargetOptions { Engine = "neo4j", Connection = "http://x:7474", Schedule = "0 30 2 * * *" },
        },
    };

    private static DateTime At(string text) => DateTime.SpecifyKind(DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

    [Fact]
    public void AFiveMinuteTick_StartsOnlyTheTargetsWhoseOwnScheduleFellDueInIt()
    {
        var slots = DueTargets.Between(Options(), At("2026-11-29 01:57:00"), At("2026-11-29 02:02:00"));
        var slot = Assert.Single(slots);
        Assert.Equal(At("2026-11-29 02:00:00"), slot.At);
        Assert.Equal(["cache", "orders"], slot.Targets.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NothingIsDue_BetweenOccurrences() =>
        Assert.Empty(DueTargets.Between(Options(), At("2026-11-29 02:31:00"), At("2026-11-29 02:36:00")));

    [Fact]
    public void TheWindowIsOpenAtItsStartAndClosedAtItsEnd_SoBackToBackTicksNeverStartASlotTwice()
    {
        var first = DueTargets.Between(Options(), At("2026-11-29 02:25:00"), At("2026-11-29 02:30:00"));
        var second = DueTargets.Between(Options(), At("2026-11-29 02:30:00"), At("2026-11-29 02:35:00"));
        Assert.Equal(["graph"], Assert.Single(first).Targets);
        Assert.Empty(second);
    }

    [Fact]
    public void AHostThatSleptThroughSeveralOccurrences_RunsEachTargetOnce_AtItsLatestSlot()
    {
        var slots = DueTargets.Between(Options(), At("2026-11-29 00:30:00"), At("2026-11-29 04:10:00"));
        Assert.Equal(3, slots.Count);
        Assert.Equal(["orders"], slots.Single(s => s.At == At("2026-11-29 02:00:00")).Targets);
        Assert.Equal(["graph"], slots.Single(s => s.At == At("2026-11-29 02:30:00")).Targets);
        Assert.Equal(["cache"], slots.Single(s => s.At == At("2026-11-29 04:00:00")).Targets);
    }

    [Fact]
    public void Next_IsTheEarliestOccurrenceOfAnySchedule() =>
        Assert.Equal(At("2026-11-29 02:00:00"), DueTargets.Next(Options(), At("2026-11-29 01:10:00")));
}
