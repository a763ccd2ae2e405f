using BackupFunctions.Engines.Files;

namespace BackupFunctions.Tests.Engines.Files;

public class ArchiveNamesTests
{
    [Theory]
    [InlineData("a.txt", "a.txt")]
    [InlineData("dir/", "dir")]
    [InlineData("dir with space/ünï 名前", "dir with space/ünï 名前")]
    [InlineData("..hidden/x..y", "..hidden/x..y")]
    public void Check_RelativeName_IsKept(string name, string expected)
    {
        Assert.Equal(expected, ArchiveNames.Check(name));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/../../outside")]
    [InlineData("/etc/passwd")]
    [InlineData("./a")]
    [InlineData("a//b")]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("a\0b")]
    public void Check_NameThatCouldLeaveTheDestination_IsRefused(string name)
    {
        var e = Assert.Throws<InvalidDataException>(() => ArchiveNames.Check(name));
        Assert.Contains("a restore writes only inside its destination", e.Message, StringComparison.Ordinal);
    }
}
