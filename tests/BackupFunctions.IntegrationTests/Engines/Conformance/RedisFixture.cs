using System.Globalization;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// Real redis-servers started for the test (never the shared one): a source whose password is the
/// canary, holding every common type in two databases with a TTL and binary values, and one new
/// server per destination.
/// </summary>
internal sealed class RedisFixture : IEngineFixture
{
    private readonly List<RedisServerProcess> _servers = [];
    private RedisServerProcess _source = null!;

    public string Engine => "redis";

    public string? Secret { get; } = $"canary{Guid.NewGuid():N}";

    public object Source => Target(_source);

    public static async Task<IEngineFixture> CreateAsync()
    {
        var fixture = new RedisFixture();
        fixture._source = await fixture.StartAsync();
        await using var client = await ConnectAsync(fixture.Source);
        foreach (int dbIndex in new[] { 0, 3 })
        {
            var db = client.Database(dbIndex);
            var writes = new List<Task>();
            for (int i = 0; i < 300; i++)
            {
                string n = i.ToString(CultureInfo.InvariantCulture);
                writes.Add(db.StringSetAsync($"s:{n}", $"välue {n} ✓"));
                writes.Add(db.HashSetAsync($"h:{i % 20}", [new HashEntry($"f{n}", n)]));
                writes.Add(db.ListRightPushAsync($"l:{i % 10}", n));
                writes.Add(db.SetAddAsync($"set:{i % 7}", n));
                writes.Add(db.SortedSetAddAsync($"z:{i % 5}", n, i / 3.0));
            }

            writes.Add(db.StringSetAsync("binary", new byte[] { 0, 1, 2, 0xff, 0xfe, 0x80, 0 }));
            writes.Add(db.StringSetAsync("expires-tomorrow", "x", TimeSpan.FromDays(1)));
            await Task.WhenAll(writes);
        }

        return fixture;
    }

    public async Task<object> NewDestinationAsync() => Target(await StartAsync());

    public async Task MakeNonEmptyAsync(object destination)
    {
        await using var client = await ConnectAsync(destination);
        await client.Database(0).StringSetAsync("keep-me", "before the restore");
    }

    /// <summary>Every key of every database with its type, value and whether it expires, in key order.</summary>
    public async Task<string> ContentAsync(object target)
    {
        await using var client = await ConnectAsync(target);
        var lines = new List<string>();
        foreach (int dbIndex in await client.DatabasesAsync())
        {
            var db = client.Database(dbIndex);
            await foreach (var key in client.Server.KeysAsync(dbIndex, pageSize: 1000))
            {
                var type = await db.KeyTypeAsync(key);
                string value = type switch
                {
                    RedisType.String => Convert.ToHexString((byte[])(await db.StringGetAsync(key))!),
                    RedisType.Hash => string.Join(",", (await db.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal)),
                    RedisType.List => string.Join(",", await db.ListRangeAsync(key)),
                    RedisType.Set => string.Join(",", (await db.SetMembersAsync(key)).Select(v => v.ToString()).Order(StringComparer.Ordinal)),
                    RedisType.SortedSet => string.Join(",", (await db.SortedSetRangeByRankWithScoresAsync(key)).Select(e => $"{e.Element}:{e.Score.ToString(CultureInfo.InvariantCulture)}")),
                    _ => Convert.ToHexString((byte[])(await db.KeyDumpAsync(key))!),
                };
                bool expires = await db.KeyTimeToLiveAsync(key) is not null;
                lines.Add($"db{dbIndex} {key} {type} {(expires ? "expires" : "persistent")} {value}");
            }
        }

        return string.Join('\n', lines.Order(StringComparer.Ordinal));
    }

    /// <summary>300,000 more keys of 300 bytes each, written by one server-side script.</summary>
    public async Task GrowAsync()
    {
        await using var client = await ConnectAsync(Source);
        await client.Database(0).ScriptEvaluateAsync(
            "for i = 1, 300000 do redis.call('SET', 'grow:' .. i, string.rep(tostring(i * 7919), 40)) end return 1");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private async Task<RedisServerProcess> StartAsync()
    {
        var server = await RedisServerProcess.StartAsync(requirePass: Secret);
        _servers.Add(server);
        return server;
    }

    private object Target(RedisServerProcess server) => new { Engine = "redis", Connection = server.Connection(Secret) };

    private static Task<RedisClient> ConnectAsync(object target) =>
        RedisClient.ConnectAsync(RedisEndpoint.Parse((string)target.GetType().GetProperty("Connection")!.GetValue(target)!), CancellationToken.None);
}

public class RedisConformanceTests : EngineConformanceTests
{
    protected override Task<IEngineFixture> CreateFixtureAsync() => RedisFixture.CreateAsync();
}
