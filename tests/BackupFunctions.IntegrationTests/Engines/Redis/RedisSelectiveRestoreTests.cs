using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Engines.Redis;

/// <summary>Redis selective restore (--db N, --match PATTERN) through the restore activity, on a dedicated Redis server.</summary>
public class RedisSelectiveRestoreTests
{
    [Fact]
    public async Task DbAndMatch_RestoreOnlyTheSelection_AndMatchIntoANonEmptyDatabaseIsRefused()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisEndpoint.Parse(redis.Connection()), CancellationToken.None);
        foreach (var (db, key) in new[] { (0, "user:1"), (0, "user:2"), (0, "session:1"), (1, "user:9"), (1, "cart:1") })
        {
            await client.Database(db).ExecuteAsync("SET", key, "v");
        }

        TargetOptions Redis(int database) => new() { Engine = "redis", Connection = redis.Connection(database: database) };
        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = Redis(0), ["db1only"] = Redis(5), ["users"] = Redis(10) });
        string id = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, CancellationToken.None)).BackupId;
        Task<RestoreDatabaseOutput> Restore(string destination, RestoreSelection selection) =>
            vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, destination, false, Selection: selection), null, CancellationToken.None);
        Task<long> Keys(int db) => client.Server.DatabaseSizeAsync(db);

        var one = await Restore("db1only", new RestoreSelection(Database: 1));
        Assert.True(one.CountsMatch, one.Detail);
        Assert.Equal((0, 2), (await Keys(5), await Keys(6)));

        var users = await Restore("users", new RestoreSelection(Match: "user:*"));
        Assert.True(users.CountsMatch, users.Detail);
        Assert.Contains("counts not compared", users.Detail, StringComparison.Ordinal);
        Assert.Equal((2, 1), (await Keys(10), await Keys(11)));
        Assert.True(await client.Database(10).KeyExistsAsync("user:2"));
        Assert.False(await client.Database(10).KeyExistsAsync("session:1"));

        var refused = await Assert.ThrowsAsync<EngineException>(() => Restore("users", new RestoreSelection(Match: "session:*")));
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("--match 'session:*' restores only into an empty database", refused.Message, StringComparison.Ordinal);
        Assert.Equal((2, 1), (await Keys(10), await Keys(11)));

        var postgresOption = await Assert.ThrowsAsync<BackupConfigurationException>(() => Restore("users", new RestoreSelection(Tables: ["t"])));
        Assert.Equal("redis restores cannot take --table: it supports --db, --match", postgresOption.Message);
    }
}
