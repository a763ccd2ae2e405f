using System.Text.RegularExpressions;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>
/// SQLite through the CLI: restore into a connection, the safety backup before a replace (and undoing the replace
/// with it), and what a person sees for a target it cannot use: one line naming the fix, no secret.
/// </summary>
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

    [Fact]
    public async Task RestoreToConnection_AndReplaceWithItsSafetyBackup_CanBeUndone()
    {
        using var folder = new SqliteTestFolder();
        SqliteRichDatabase.Create(folder.PathOf("app.db"), "wal", customers: 30);
        using (var existing = SqliteTestFolder.Open(folder.PathOf("dst.db")))
        {
            SqliteTestFolder.Execute(existing, "CREATE TABLE precious(x TEXT); INSERT INTO precious VALUES ('keep me');");
        }

        string before = SqliteRichDatabase.Content(folder.PathOf("dst.db"));
        await using var cli = new CliRunner(new() { ["app"] = folder.Target("app.db"), ["dst"] = folder.Target("dst.db") });
        var backup = await cli.RunAsync("backup", "--target", "app");
        Assert.True(backup.Exit == 0, backup.Out + backup.Err);
        string id = Regex.Match(backup.Out, "backed up as (app-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4})").Groups[1].Value;

        var elsewhere = await cli.RunAsync("restore", id, "--to-connection", SqliteTestFolder.Connection(folder.PathOf("elsewhere.db")));
        var replace = await cli.RunAsync("restore", id, "--to", "dst", "--replace");
        string safety = Regex.Match(replace.Err, "taken before replacing it: (dst-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4})").Groups[1].Value;
        string replaced = SqliteRichDatabase.Content(folder.PathOf("dst.db"));
        var undo = await cli.RunAsync("restore", safety, "--to", "dst", "--replace", "--no-safety-backup");

        Assert.True(elsewhere.Exit == 0, elsewhere.Out + elsewhere.Err);
        Assert.True(replace.Exit == 0, replace.Out + replace.Err);
        Assert.True(undo.Exit == 0, undo.Out + undo.Err);
        string source = SqliteRichDatabase.Content(folder.PathOf("app.db"));
        Assert.Equal(source, SqliteRichDatabase.Content(folder.PathOf("elsewhere.db")));
        Assert.Equal(source, replaced);
        Assert.Equal(before, SqliteRichDatabase.Content(folder.PathOf("dst.db")));
        Assert.Empty(folder.TempLeftovers());
    }
}
