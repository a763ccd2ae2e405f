using System.Text.Json;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>Misspelt keys stop backupfn with one line (exit 2); a target left on the default retention policy is told so (issue 12 item 4).</summary>
public class ConfigurationKeyTests
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);";

    private const string DefaultNotice = "no Retention configured; using the default: KeepLast 3, KeepDaily 7, KeepWeekly 4, KeepMonthly 12, KeepYearly 0, in UTC (docs/retention.md)";

    [Fact]
    public async Task MisspeltKeyInTheFile_ExitsTwo_WithOneLineNamingTheKeyMeant()
    {
        await using var cli = new CliRunner(new()
        {
            ["orders"] = new { Engine = "postgres", Connection = TestServers.Pg("postgres"), Retension = new { KeepLast = 1 } },
        });

        var result = await cli.RunAsync("backup");

        Assert.Equal(2, result.Exit);
        Assert.Equal("backupfn backup: Backup:Targets:orders:Retension is not a known setting (did you mean Retention?)", result.Err.Trim());
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task MisspeltKeyInTheEnvironment_TheProcessExitsTwo_WithOneLine()
    {
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(TestServers.Pg("postgres")) });
        await using var process = BackupfnProcess.Start(["prune", "--config", cli.ConfigFile], new Dictionary<string, string?> { ["Backup__Targets__orders__Compresion"] = "gzip" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        Assert.Equal(2, await process.ExitCodeAsync(timeout.Token));
        Assert.Equal(["backupfn prune: Backup:Targets:orders:Compresion is not a known setting (did you mean Compression?)"], process.Lines);
    }

    [Fact]
    public async Task Prune_TargetWithoutRetention_SaysOnStderrWhichDefaultApplies_AndStdoutStaysJson()
    {
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(TestServers.Pg("postgres")),
            ["kept"] = new { Engine = "postgres", Connection = TestServers.Pg("postgres"), Retention = new { KeepLast = 2 } },
        });

        var result = await cli.RunAsync("prune", "--dry-run", "--json");

        Assert.True(result.Exit == 0, result.Err);
        Assert.Equal($"backupfn prune: orders: {DefaultNotice}", result.Err.Trim());
        Assert.Equal(2, JsonDocument.Parse(result.Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Backup_TargetWithoutRetention_SaysWhichDefaultApplies()
    {
        await using var source = await TestDatabase.CreateAsync("cfgkeys", Table);
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(source.Connection) });

        var result = await cli.RunAsync("backup", "--no-retry");

        Assert.True(result.Exit == 0, result.Err);
        Assert.Contains($"backupfn backup: orders: {DefaultNotice}", result.Err, StringComparison.Ordinal);
        Assert.Matches("orders: backed up as orders-", result.Out);
    }
}
