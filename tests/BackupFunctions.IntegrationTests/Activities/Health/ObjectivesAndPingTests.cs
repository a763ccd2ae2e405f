using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Cli.Rendering;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.IntegrationTests.Activities.Health;

/// <summary>
/// Recovery objectives in health and notifications, and the dead-man ping after runs: real
/// PostgreSQL, Azurite and a local HTTP receiver as the webhook and the ping monitor.
/// </summary>
public class ObjectivesAndPingTests
{
    private const string Table = "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 50);";

    [Fact]
    public async Task AnRpoBreach_IsAWarningInStatus_NotAnAlert_AndIsNotifiedOnce()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync("objectives", Table);
        var target = TestVault.Postgres(db.Connection);
        target.Objectives = new RecoveryObjectiveOptions { Rpo = TimeSpan.FromHours(1) };
        target.Schedule = "0 0 0 1 1 *"; // yearly: the schedule never makes the target late here, only the objective speaks
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = target }, time: clock);
        vault.Options.Notifications.WebhookUrl = receiver.Url;
        string id = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
        await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);

        var fresh = Assert.Single(await vault.Runtime.HealthCheck().EvaluateAsync(CancellationToken.None));
        var quiet = await vault.Runtime.NotifyActivity().RunAsync(new NotifyInput(null), CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(2));
        var summary = await vault.Runtime.HealthCheck().SummarizeAsync(CancellationToken.None);
        var first = await vault.Runtime.NotifyActivity().RunAsync(new NotifyInput(null), CancellationToken.None);
        var again = await vault.Runtime.NotifyActivity().RunAsync(new NotifyInput(null), CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, fresh.Status);
        Assert.True(fresh.Objectives!.Rpo.Met);
        Assert.Empty(quiet.Notifications);
        var stale = Assert.Single(summary.Targets);
        Assert.Equal(HealthStatus.Warning, stale.Status);
        Assert.Equal(HealthStatus.Warning, summary.Status);
        Assert.False(summary.Status.IsBad()); // exit 0 and HTTP 200: a warning, not an alert
        Assert.StartsWith("objectives not met: RPO 60.0 min: the newest good backup is 2.0 h old", stale.Reason, StringComparison.Ordinal);
        Assert.InRange(stale.Objectives!.Rpo.NewestAge!.Value, TimeSpan.FromHours(2), TimeSpan.FromHours(2.01));
        string row = HealthTable.Lines(summary.Targets).Last();
        Assert.Contains("warning", row, StringComparison.Ordinal);
        Assert.Contains("2.0 h/60.0 min", row, StringComparison.Ordinal);
        var warning = Assert.Single(first.Notifications);
        Assert.Equal(("warning", true), (warning.Kind, warning.Delivered));
        Assert.Empty(again.Notifications); // announced once
        var body = Assert.Single(receiver.Bodies);
        Assert.StartsWith("Backup of 'orders' misses its recovery objectives: RPO 60.0 min", body["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("E3C000", body["themeColor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Status_ShowsAnRtoBreach_AsAWarning_WithExitZero()
    {
        await using var db = await TestDatabase.CreateAsync("objectives_cli", Table);
        var target = new { Engine = "postgres", Connection = db.Connection, Objectives = new { Rto = "00:00:00.001" } }; // any real restore test takes longer
        await using var cli = new CliRunner(new() { ["orders"] = target });
        Assert.Equal(0, (await cli.RunAsync("backup", "--no-retry")).Exit);

        var status = await cli.RunAsync("status");
        var json = await cli.RunAsync("status", "--json");

        Assert.Equal(0, status.Exit);
        Assert.Contains("warning", status.Out, StringComparison.Ordinal);
        Assert.Contains("objectives not met: RTO 0 s: the last restore test took", status.Out, StringComparison.Ordinal);
        Assert.Equal(0, json.Exit);
        var o = System.Text.Json.JsonDocument.Parse(json.Out).RootElement[0].GetProperty("objectives").GetProperty("rto");
        Assert.False(o.GetProperty("met").GetBoolean());
        Assert.Equal(1, o.GetProperty("restoreTests").GetInt32());
        Assert.True(o.GetProperty("p95").GetString() is { Length: > 0 });
    }

    [Fact]
    public async Task ThePing_IsCalledAfterASuccessfulRun_AndAtFailAfterAFailedOne_AndItsTokenIsNeverLogged()
    {
        await using var monitor = await HttpReceiver.StartAsync();
        string pingUrl = monitor.BaseUrl + "/ping/secret-ping-token-4c1d";
        await using var db = await TestDatabase.CreateAsync("ping", Table);
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(db.Connection),
            ["broken"] = CliRunner.Postgres(TestServers.Pg("it_ping_no_such_database")),
        }, pingUrl: pingUrl);

        var good = await cli.RunAsync("backup", "--target", "orders", "--no-retry", "--verbose");
        var afterGood = monitor.Gets.ToList();
        var bad = await cli.RunAsync("backup", "--target", "broken", "--no-retry", "--verbose");

        Assert.Equal(0, good.Exit);
        Assert.Equal(["/ping/secret-ping-token-4c1d"], afterGood);
        Assert.NotEqual(0, bad.Exit);
        Assert.Equal(["/ping/secret-ping-token-4c1d", "/ping/secret-ping-token-4c1d/fail"], monitor.Gets.ToList());
        Assert.Contains("Dead-man ping sent to http://127.0.0.1/… (success): HTTP 200", good.Err, StringComparison.Ordinal);
        Assert.Contains("Dead-man ping sent to http://127.0.0.1/… (fail): HTTP 200", bad.Err, StringComparison.Ordinal);
        foreach (string output in new[] { good.Out, good.Err, bad.Out, bad.Err })
        {
            Assert.DoesNotContain("secret-ping-token", output, StringComparison.Ordinal);
        }
    }
}
