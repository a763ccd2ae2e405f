using BackupFunctions.Engines.Files;

namespace BackupFunctions.Tests.Engines.Files;

public class FileSelectionTests
{
    [Fact]
    public void NoPatterns_IncludeEverything_ExcludeNothing()
    {
        var all = new FileSelection([], []);

        Assert.True(all.Includes("any/thing.bin"));
        Assert.False(all.Excludes("any/thing.bin"));
    }

    [Fact]
    public void Patterns_AreRelativeGlobs_MatchedCaseSensitively()
    {
        var selection = new FileSelection(["models/**/*.bin", "*.json"], ["**/cache", "**/*.tmp"]);

        Assert.True(selection.Includes("models/a/b/w.bin"));
        Assert.True(selection.Includes("config.json"));
        Assert.False(selection.Includes("config.JSON"));
        Assert.False(selection.Includes("sub/config.json"));
        Assert.True(selection.Excludes("x/cache"));
        Assert.True(selection.Excludes("models/w.tmp"));
        Assert.False(selection.Excludes("models/w.bin"));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("/etc/*", "is absolute")]
    [InlineData("../other/*", "leaves the target's directory")]
    public void Problem_NamesWhatIsWrong(string pattern, string expected)
    {
        Assert.Contains(expected, FileSelection.Problem(pattern), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("**/*.faiss")]
    [InlineData("chroma/**")]
    [InlineData("workflows/*.json")]
    public void Problem_UsableGlob_IsNull(string pattern)
    {
        Assert.Null(FileSelection.Problem(pattern));
    }
}
