using BackupFunctions.Engines;
using BackupFunctions.Engines.Sqlite;

namespace BackupFunctions.Tests.Engines;

public class SqliteFileTests
{
    [Fact]
    public void DataSource_IsTheDescription_AsAnAbsolutePath()
    {
        var file = SqliteFile.Parse("Data Source=/var/lib/app/app.db;Default Timeout=5");
        var relative = SqliteFile.Parse("Data Source=app.db");

        Assert.Equal("/var/lib/app/app.db", file.Description);
        Assert.Equal(5, file.TimeoutSeconds);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "app.db"), relative.Path);
        Assert.Equal("/var/lib/app/app.db", SqliteFile.Parse(SqliteFile.ConnectionString("/var/lib/app/app.db")).Path);
    }

    [Fact]
    public void Password_IsRefused_WithoutShowingIt()
    {
        var e = Assert.Throws<EngineException>(() => SqliteFile.Parse("Data Source=/data/app.db;Password=hunter2-secret"));

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("/data/app.db has Password=", e.Message, StringComparison.Ordinal);
        Assert.Contains("remove Password=", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("Data Source=:memory:", "names no database file")]
    [InlineData("Data Source=/x.db;Mode=Memory", "names no database file")]
    [InlineData("Data Source=file:/x.db?mode=ro", "file: URI")]
    [InlineData("Data Source=/x.db;Colour=blue", "is not valid")]
    public void BadConnections_AreConfigurationErrors(string connection, string expected)
    {
        var e = Assert.Throws<EngineException>(() => SqliteFile.Parse(connection));

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
