using System.Globalization;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Engines.Redis;

/// <summary>
/// A Redis target without RestoreTest: the restore test uses empty databases of the source instance itself (db i of
/// the backup → a spare db j), and leaves the source's own databases exactly as they were. Real redis-servers and Azurite.
/// </summary>
public class RedisSpareDatabaseTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static Task<RedisClient> ConnectAsync(string connection) => RedisClient.ConnectAsync(RedisEndpoint.Parse(connection), None);

    private static async Task SeedAsync(RedisClient redis, int db, int keys)
    {
        var r = redis.Database(db);
        var writes = Enumerable.Range(0, keys)
            .Select(i => r.ExecuteAsync("HSET", $"user:{i}", "name", $"user {i} of db {db}", "visits", i.ToString(CultureInfo.InvariantCulture)))
            .Append(r.ExecuteAsync("SET", $"counter-{db}", "42"))
            .Append(r.ExecuteAsync("RPUSH", $"queue-{db}", "a", "b", "c"))
            .ToList();
        await Task.WhenAll(writes);
    }

    /// <summary>Every key of <paramref name="db"/> with its DUMP, to compare a database before and after.</summary>
    private static async Task<SortedDictionary<string, string>> SnapshotAsync(RedisClient redis, int db)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in redis.Server.KeysAsync(db, pageSize: 1000))
        {
            result[(string)key!] = Convert.ToHexString((await redis.Database(db).KeyDumpAsync(key))!);
        }

        return result;
    }

    private static async Task<string> DatabasesAsync(RedisClient r) => string.Join(",", await r.DatabasesAsync());

    private static TargetOptions Target(RedisServerProcess server) => new() { Engine = "redis", Connection = server.Connection() };

    [Theory]
    [InlineData(new[] { 0 }, "db 15 of the same instance", "(db 0 → db 15)")]
    [InlineData(new[] { 0, 3 }, "dbs 15, 14 of the same instance", "(db 0 → db 15, db 3 → db 14)")]
    public async Task RestoreTest_WithoutRestoreTest_RestoresIntoSpareDatabases_FlushesThem_AndLeavesTheSourceAsItWas(int[] sourceDbs, string scratch, string mapping)
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        foreach (int db in sourceDbs)
        {
            await SeedAsync(r, db, 300 + db);
        }

        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = Target(server) });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None);
        var before = await Task.WhenAll(sourceDbs.Select(db => SnapshotAsync(r, db)));

        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);

        Assert.True(test.Passed, test.Detail);
        Assert.StartsWith($"restored into scratch {scratch} 127.0.0.1:{server.Port} {mapping}: ", test.Detail, StringComparison.Ordinal);
        Assert.Contains("counts match", test.Detail, StringComparison.Ordinal);
        Assert.Equal(string.Join(",", sourceDbs), await DatabasesAsync(r)); // the scratch dbs were flushed, nothing else holds keys
        var after = await Task.WhenAll(sourceDbs.Select(db => SnapshotAsync(r, db)));
        for (int i = 0; i < sourceDbs.Length; i++)
        {
            Assert.Equal(303 + sourceDbs[i], after[i].Count);
            Assert.Equal(before[i], after[i]);
        }
    }

    [Fact]
    public async Task RestoreTest_WithoutRestoreTest_AndNoSpareDatabase_FailsInOneLineNamingTheFix()
    {
        await using var server = await RedisServerProcess.StartAsync(null, "--databases", "2");
        await using var r = await ConnectAsync(server.Connection());
        await SeedAsync(r, 0, 10);
        await SeedAsync(r, 1, 10);
        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = Target(server) });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None);

        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None));

        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.EndsWith($"the restore test needs 2 empty databases beside db 0, db 1 on 127.0.0.1:{server.Port}, which has 0 free of 2 "
            + "(set Targets:*:RestoreTest:Connection to a scratch instance, or raise 'databases' in redis.conf)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal("0,1", await DatabasesAsync(r));
    }
}
