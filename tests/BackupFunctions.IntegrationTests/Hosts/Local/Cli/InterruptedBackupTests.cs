using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>`backupfn backup` killed in the middle, then run again, finishes the run it started instead of starting a second one.</summary>
public class InterruptedBackupTests
{
    [Fact]
    public async Task ABackupKilledMidDump_ThenStartedAgain_JoinsTheInterruptedRun_SaysSo_AndLeavesOneBackup()
    {
        await using var db = await TestDatabase.CreateAsync("interrupted",
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 300000) g;");
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(db.Connection) });
        var options = new BackupOptions { Storage = new StorageOptions { Connection = TestServers.Storage, Container = cli.Container } };
        options.Local.TaskHub.Name = cli.TaskHub;
        var runtime = BackupRuntime.Create(options, TimeProvider.System, NullLoggerFactory.Instance);

        await using (var first = BackupfnProcess.Start("backup", "--config", cli.ConfigFile))
        {
            await using var hub = await DurableEngine.StartAsync(runtime, ActivityEnvironment.None, NullLoggerFactory.Instance, worker: false);
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            string? stage = null;
            // Normally caught in the dump ("backup"); on a fast machine it may be a step later, which
            // the assertions below hold for as well.
            while (stage is not ("backup" or "verify" or "restore-test" or "prune"))
            {
                await Task.Delay(50, cancel.Token);
                var child = (await hub.Client.ListActiveAsync("run-", cancel.Token)).FirstOrDefault(i => i.Name == "TargetBackup");
                stage = child?.SerializedCustomStatus is { } custom ? JsonDocument.Parse(custom).RootElement.GetProperty("stage").GetString() : null;
            }

            await first.KillAsync(); // in the middle of the dump
        }

        string runId = (await RunningRunAsync(runtime))!;
        var again = await cli.RunAsync("backup");

        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains($"joining run {runId}, which is already backing up orders", again.Err, StringComparison.Ordinal);
        Assert.Contains($"run {runId}: 1/1 targets succeeded", again.Out, StringComparison.Ordinal);
        int manifests = 0;
        await foreach (var _ in runtime.Vault.ListManifestsAsync("orders", CancellationToken.None))
        {
            manifests++;
        }

        Assert.Equal(1, manifests);
    }

    private static async Task<string?> RunningRunAsync(BackupRuntime runtime)
    {
        await using var hub = await DurableEngine.StartAsync(runtime, ActivityEnvironment.None, NullLoggerFactory.Instance, worker: false);
        return (await hub.Client.ListActiveAsync("run-", CancellationToken.None)).SingleOrDefault(i => i.Name == "BackupAll")?.InstanceId;
    }
}
