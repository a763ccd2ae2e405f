using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Redis;

/// <summary>A Redis target through the same activities as every target: real redis-servers and Azurite.</summary>
public class RedisBackupCycleTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData("auto")]
    [InlineData("keyspace")]
    public async Task Backup_Verify_RestoreTest_Restore(string strategy)
    {
        await using var source = await RedisServerProcess.StartAsync(requirePass: "cache-pw");
        await using var copy = await RedisServerProcess.StartAsync();
        await using (var r = await RedisClient.ConnectAsync(RedisEndpoint.Parse(source.Connection("cache-pw")), None))
        {
            var db = r.Database(0);
            var writes = Enumerable.Range(0, 500)
                .Select(i => db.ExecuteAsync("HSET", $"user:{i}", "name", $"user {i}", "visits", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .Append(db.ExecuteAsync("SET", "ends-soon", "x", "PX", "60000")) // expires within the restore test's ten-minute floor
                .ToList();
            await Task.WhenAll(writes);
        }

        var target = new TargetOptions
        {
            Engine = "redis", Strategy = strategy, Connection = source.Connection("cache-pw"),
            RestoreTest = new RestoreTestOptions { Connection = source.Connection("cache-pw", database: 8) }, // a db index of the same server
        };
        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = target, ["cache-copy"] = new TargetOptions { Engine = "redis", Connection = copy.Connection() } });

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None);
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "cache-copy", Replace: false), null, None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal("redis", manifest.Engine);
        Assert.Equal(strategy == "auto" ? "redis-replication" : "redis-keyspace", manifest.Tool);
        Assert.EndsWith(".redis.zst", manifest.Blobs.Data, StringComparison.Ordinal);
        Assert.Equal(501, manifest.SourceStats.Counts["db0"]);
        Assert.Equal(500, manifest.SourceStats.Counts["db0/hash"]);
        Assert.DoesNotContain("cache-pw", VaultJson.Serialize(manifest).ToString(), StringComparison.Ordinal);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.True(test.Passed, test.Detail);
        Assert.Contains("3 counts match (501 in total)", test.Detail, StringComparison.Ordinal);
        Assert.True(restore.CountsMatch, restore.Detail);
        await using var check = await RedisClient.ConnectAsync(RedisEndpoint.Parse(source.Connection("cache-pw")), None);
        Assert.Equal("0", string.Join(",", await check.DatabasesAsync())); // the scratch db 8 was flushed
    }
}
