using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Activities.Backups;

/// <summary>
/// The size estimate only feeds progress and ETA: it runs beside the dump, and when it fails the backup goes on
/// without a total. Real Redis: an ACL user that may replicate but not run INFO (what the estimate asks).
/// </summary>
public class SizeEstimateTests
{
    [Fact]
    public async Task AnEstimateThatFails_LeavesProgressWithoutATotal_AndTheBackupSucceeds()
    {
        await using var redis = await RedisServerProcess.StartAsync(requirePass: "admin-pw");
        await using (var admin = await RedisClient.ConnectAsync(RedisEndpoint.Parse(redis.Connection("admin-pw")), CancellationToken.None))
        {
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "replicator", "on", ">replicator-pw", "~*", "+@all", "-info");
            await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => admin.Database(0).ExecuteAsync("SET", $"key:{i}", new string('x', 100))));
        }

        string connection = $"127.0.0.1:{redis.Port},user=replicator,password=replicator-pw";
        await using var vault = await TestVault.CreateAsync(new()
        {
            ["cache"] = new TargetOptions { Engine = "redis", Strategy = RedisEngine.Replication, Connection = connection },
        });
        var reports = new List<TransferProgress>();
        var progress = new SynchronousProgress(p => { lock (reports) { reports.Add(p); } });

        var estimate = await Record.ExceptionAsync(() => new RedisEngine().EstimateSizeAsync(connection, CancellationToken.None));
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), progress, CancellationToken.None);

        Assert.NotNull(estimate); // the premise: this user cannot be estimated (INFO refused)
        Assert.Contains("NOPERM", estimate.Message, StringComparison.Ordinal);
        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = await vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None);
        Assert.Equal(2000, manifest!.SourceStats.Counts["db0"]);
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Null(r.Total));
    }

    private sealed class SynchronousProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
