using BackupFunctions.IntegrationTests.Hosts.Local.Cli;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>What a person sees from the CLI for SQLite targets it cannot use: one line naming the fix, exit 2, no secret.</summary>
public class SqliteCliTests
{
    [Fact]
    public async Task PasswordInTheConnection_IsRefusedAtStart_WithoutShowingIt()
    {
        using var folder = new SqliteTestFolder();
        SqliteRichDatabase.Create(folder.PathOf("app.db"), "wal", customers: 5);
        string secret = $"canary{Guid.NewGuid():N}";
        await using var cli = new CliRunner(new()
        {
            ["app"] = new { Engine = "sqlite", Connection = $"Data Source={folder.PathOf("app.db")};Password={secret}" },
        });

        var (exit, stdout, stderr) = await cli.RunAsync("backup", "--target", "app", "--verbose");

        Assert.Equal(2, exit);
        Assert.Contains("Backup:Targets:app:Connection: the SQLite connection for", stderr, StringComparison.Ordinal);
        Assert.Contains("remove Password=", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingSourceFile_FailsTheTarget_NamingThePath_AndCreatesNothing()
    {
        using var folder = new SqliteTestFolder();
        string missing = folder.PathOf("nothing-here.db");
        await using var cli = new CliRunner(new() { ["app"] = new { Engine = "sqlite", Connection = SqliteTestFolder.Connection(missing) } });

        var (exit, stdout, stderr) = await cli.RunAsync("backup", "--target", "app", "--no-retry");

        Assert.NotEqual(0, exit);
        Assert.Contains($"SQLite database file {missing} does not exist", stdout + stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }
}
