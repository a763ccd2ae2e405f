using BackupFunctions.Engines;

namespace BackupFunctions.Tests.Activities;

public class StatsComparisonTests
{
    [Fact]
    public void Compare_SameCounts_IsEqual()
    {
        var counts = new Dictionary<string, long> { ["public.a"] = 3, ["public.b"] = 0 };

        var (equal, detail) = StatsComparison.Compare(counts, new Dictionary<string, long>(counts));

        Assert.True(equal);
        Assert.Contains("2 counts match", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_DifferentMissingAndExtra_NamesEachDifference()
    {
        var expected = new Dictionary<string, long> { ["public.a"] = 3, ["public.b"] = 1 };
        var actual = new Dictionary<string, long> { ["public.a"] = 2, ["public.c"] = 5 };

        var (equal, detail) = StatsComparison.Compare(expected, actual);

        Assert.False(equal);
        Assert.Contains("public.a: 2 (expected 3)", detail, StringComparison.Ordinal);
        Assert.Contains("public.b: missing", detail, StringComparison.Ordinal);
        Assert.Contains("public.c: unexpected", detail, StringComparison.Ordinal);
    }
}
