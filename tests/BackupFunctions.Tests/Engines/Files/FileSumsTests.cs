using System.Text;
using BackupFunctions.Engines.Files;

namespace BackupFunctions.Tests.Engines.Files;

public class FileSumsTests
{
    private const string A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void FormatThenParse_KeepsEveryPath_NonAsciiSpacesBackslashesAndLineBreaks()
    {
        var sums = new[] { ("plain.txt", A), ("dir with space/ünïcødé 名前.json", B), ("back\\slash\nnew\rline", A) };

        var parsed = FileSums.Parse(Encoding.UTF8.GetString(FileSums.Format(sums)));

        Assert.Equal(sums.ToDictionary(s => s.Item1, s => s.Item2), parsed);
    }

    [Fact]
    public void Format_PlainPaths_AreSha256sumLines()
    {
        Assert.Equal($"{A}  a/b c\n", Encoding.UTF8.GetString(FileSums.Format([("a/b c", A)])));
    }

    [Theory]
    [InlineData("not a line\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA  upper-case hex\n")]
    [InlineData("\\aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  bad\\qescape\n")]
    public void Parse_MalformedLine_IsInvalidData(string text)
    {
        Assert.Throws<InvalidDataException>(() => FileSums.Parse(text));
    }

    [Fact]
    public void Parse_PathListedTwice_IsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => FileSums.Parse($"{A}  x\n{B}  x\n"));
    }

    [Fact]
    public void Compare_NamesChangedMissingAndUnexpectedFiles()
    {
        var stored = new Dictionary<string, string> { ["same"] = A, ["changed"] = A, ["gone"] = A };
        var found = new Dictionary<string, string> { ["same"] = A, ["changed"] = B, ["new"] = A };

        var (count, detail) = FileSums.Compare(stored, found);

        Assert.Equal(3, count);
        Assert.Contains("'changed' has SHA-256 bbbbbbbbbbbb…", detail, StringComparison.Ordinal);
        Assert.Contains("'gone' is listed but missing", detail, StringComparison.Ordinal);
        Assert.Contains("'new' is not in the stored SHA-256 list", detail, StringComparison.Ordinal);
        Assert.Equal((0, ""), FileSums.Compare(stored, stored));
    }
}
