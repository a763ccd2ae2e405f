using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>
/// Each way a PostgreSQL backup can fail before it starts gives one line that names the target and
/// the fix, the right exit code, and never the password.
/// </summary>
public class ErrorMessageTests
{
    private const string Secret = "Wr0ng-Secret-Value";

    private static async Task<(int Exit, string Err)> BackupAsync(object target)
    {
        await using var cli = new CliRunner(new() { ["orders"] = target });
        var result = await cli.RunAsync("backup", "--no-retry");
        Assert.DoesNotContain(Secret, result.Err + result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(TestServers.PgPassword, result.Err + result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        // The reason is printed once (stderr), not again by a log line or the result table.
        Assert.Single((result.Err + result.Out).Split('\n'), l => l.Contains("target 'orders': ", StringComparison.Ordinal));
        return (result.Exit, result.Err);
    }

    [Fact]
    public async Task WrongPassword_ExitsTwo_NamesUserAndFix()
    {
        var (exit, err) = await BackupAsync(CliRunner.Postgres(TestServers.Pg("postgres", password: Secret)));

        Assert.Equal(2, exit);
        Assert.Contains($"target 'orders': authentication failed for user '{TestServers.PgUser}'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingListening_ExitsOne_SaysConnectionRefused()
    {
        var (exit, err) = await BackupAsync(CliRunner.Postgres(TestServers.Pg("postgres", port: "1")));

        Assert.Equal(1, exit);
        Assert.Contains("target 'orders': connection refused at 127.0.0.1:1 (is PostgreSQL running", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingDatabase_ExitsTwo_NamesTheDatabase()
    {
        var (exit, err) = await BackupAsync(CliRunner.Postgres(TestServers.Pg("no_such_db_here")));

        Assert.Equal(2, exit);
        Assert.Contains("database 'no_such_db_here' does not exist", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedConnectionString_ExitsTwo()
    {
        var (exit, err) = await BackupAsync(CliRunner.Postgres($"Host=127.0.0.1;Passwrd={Secret};Nonsense"));

        Assert.Equal(2, exit);
        Assert.Contains("connection string is malformed", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPgDump_ExitsTwo_SaysHowToInstallIt()
    {
        string empty = Directory.CreateTempSubdirectory("backupfn-notools").FullName;
        var (exit, err) = await BackupAsync(new { Engine = "postgres", Connection = TestServers.Pg("postgres"), ToolsDirectory = empty });

        Assert.Equal(2, exit);
        Assert.Contains("pg_dump not found", err, StringComparison.Ordinal);
        Assert.Contains("postgresql-client", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PgDumpFails_ExitsOne_ShowsItsStderrWithThePasswordRedacted()
    {
        // A stand-in pg_dump that fails and echoes its PGPASSWORD, to prove tool output is redacted.
        string tools = Directory.CreateTempSubdirectory("backupfn-tools").FullName;
        string script = Path.Combine(tools, "pg_dump");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi
            echo "pg_dump: error: simulated failure, password was $PGPASSWORD" >&2
            exit 1
            """.Replace("\r", "", StringComparison.Ordinal));
        Assert.False(OperatingSystem.IsWindows(), "needs a POSIX shell");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var db = await TestDatabase.CreateAsync("fail", "CREATE TABLE t(x int);");

        var (exit, err) = await BackupAsync(new { Engine = "postgres", Connection = db.Connection, ToolsDirectory = tools });

        Assert.Equal(1, exit);
        Assert.Contains("pg_dump failed", err, StringComparison.Ordinal);
        Assert.Contains("simulated failure, password was ***", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StorageWithoutATableEndpoint_ExitsTwo_SaysTheTaskHubNeedsOne()
    {
        string blobOnly = string.Join(';', TestServers.Storage.Split(';').Where(p => !p.StartsWith("TableEndpoint=", StringComparison.Ordinal)));
        await using var db = await TestDatabase.CreateAsync("notable", "CREATE TABLE t(x int);");
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(db.Connection) }, storage: blobOnly);
        var result = await cli.RunAsync("backup");

        Assert.Equal(2, result.Exit);
        Assert.Contains("Backup:Storage:Connection names a BlobEndpoint but no TableEndpoint, which the Durable task hub needs", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        Assert.Single(result.Err.Trim().Split('\n'));
    }
}
