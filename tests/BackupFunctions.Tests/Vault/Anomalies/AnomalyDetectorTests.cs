using BackupFunctions.Vault.Anomalies;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Tests.Vault.Anomalies;

/// <summary>The anomaly guard's pure comparison: thresholds against the median of the good baselines, floors, appearing and vanishing counts.</summary>
public class AnomalyDetectorTests
{
    private static readonly AnomalyThresholds Defaults = new(MaxShrinkPercent: 50, MaxGrowPercent: 300, Window: 5);

    private static AnomalySample S(string id, long raw, params (string Name, long Count)[] counts) =>
        new(id, raw, counts.ToDictionary(c => c.Name, c => c.Count, StringComparer.Ordinal));

    [Fact]
    public void NoBaseline_NothingToCompare_SaysSo()
    {
        var verdict = AnomalyDetector.Compare(S("new", 100_000, ("public.orders", 10)), [], Defaults);

        Assert.Equal(AnomalyOutcome.NoBaseline, verdict.Outcome);
        Assert.Contains("nothing to compare", verdict.Detail, StringComparison.Ordinal);
        Assert.Empty(verdict.Findings);
    }

    [Fact]
    public void NinetyPercentOfATableDeleted_IsSuspect_AndNamesTheTableWithTheChange()
    {
        var baselines = new[] { S("b2", 100_000, ("public.orders", 1000), ("public.users", 500)), S("b1", 100_000, ("public.orders", 1000), ("public.users", 500)) };

        var verdict = AnomalyDetector.Compare(S("new", 95_000, ("public.orders", 100), ("public.users", 500)), baselines, Defaults);

        Assert.Equal(AnomalyOutcome.Suspect, verdict.Outcome);
        var finding = Assert.Single(verdict.Findings);
        Assert.Equal(new AnomalyFinding("public.orders", 1000, 100, -90), finding);
        Assert.Contains("public.orders 100 vs median 1000 (-90%)", verdict.Detail, StringComparison.Ordinal);
        Assert.Equal(["b2", "b1"], verdict.Baselines);
    }

    [Fact]
    public void WithinTheThresholds_IsNormal()
    {
        var verdict = AnomalyDetector.Compare(S("new", 160_000, ("t", 600)), [S("b1", 100_000, ("t", 1000))], Defaults);

        Assert.Equal(AnomalyOutcome.Normal, verdict.Outcome);
        Assert.Contains("median of 1 good backup(s) (b1)", verdict.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, false)]   // exactly -50%: not beyond
    [InlineData(499, true)]
    [InlineData(4000, false)]  // exactly +300%: not beyond
    [InlineData(4001, true)]
    public void Thresholds_AreStrict(long count, bool suspect)
    {
        var verdict = AnomalyDetector.Compare(S("new", 0, ("t", count)), [S("b1", 0, ("t", 1000))], Defaults);

        Assert.Equal(suspect, verdict.IsSuspect);
    }

    [Fact]
    public void RawSize_GrowingBeyondTheThreshold_IsSuspect()
    {
        var verdict = AnomalyDetector.Compare(S("new", 500_000), [S("b1", 100_000)], Defaults);

        Assert.Equal(AnomalyFinding.RawBytesName, Assert.Single(verdict.Findings).Name);
        Assert.Equal(400, verdict.Findings[0].ChangePercent);
    }

    [Fact]
    public void VanishedTable_IsAShrinkOf100Percent_WhenItsMedianReachesTheFloor()
    {
        var verdict = AnomalyDetector.Compare(S("new", 100_000, ("kept", 500)), [S("b1", 100_000, ("kept", 500), ("dropped", 100))], Defaults);

        var finding = Assert.Single(verdict.Findings);
        Assert.Equal(("dropped", 0L, -100.0), (finding.Name, finding.Value, finding.ChangePercent));
    }

    [Fact]
    public void TinyCountsAndNewTables_AreNotCompared()
    {
        // A 10-row table emptied, a 99-row table vanished, a new table of a million rows, a tiny dump tripled: no noise.
        var baseline = S("b1", 1000, ("tiny", 10), ("small", 99));
        var verdict = AnomalyDetector.Compare(S("new", 3000, ("tiny", 0), ("new", 1_000_000)), [baseline], Defaults);

        Assert.Equal(AnomalyOutcome.Normal, verdict.Outcome);
    }

    [Fact]
    public void Median_OfTheLastWindowBaselines_IgnoresOneOutlierAndOlderOnes()
    {
        // Newest first: the window of 3 takes 1000, 10 (an outlier), 1000 -> median 1000; the old 1 is outside the window.
        var baselines = new[] { S("b4", 0, ("t", 1000)), S("b3", 0, ("t", 10)), S("b2", 0, ("t", 1000)), S("b1", 0, ("t", 1)) };

        var verdict = AnomalyDetector.Compare(S("new", 0, ("t", 950)), baselines, Defaults with { Window = 3 });

        Assert.Equal(AnomalyOutcome.Normal, verdict.Outcome);
        Assert.Equal(["b4", "b3", "b2"], verdict.Baselines);
    }

    [Fact]
    public void Median_OfAnEvenCount_IsTheMeanOfTheMiddleTwo()
    {
        Assert.Equal(2.5, AnomalyDetector.Median([4, 1, 3, 2]));
        Assert.Equal(3, AnomalyDetector.Median([5, 3, 1]));
    }

    [Fact]
    public void CountMissingFromABaseline_CountsAsZeroThere()
    {
        // The table existed in one of two baselines: median (0 + 1000) / 2 = 500, the backup's 100 is -80%.
        var verdict = AnomalyDetector.Compare(S("new", 0, ("t", 100)), [S("b2", 0, ("t", 1000)), S("b1", 0)], Defaults);

        Assert.Equal(-80, Assert.Single(verdict.Findings).ChangePercent);
    }
}
