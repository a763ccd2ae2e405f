using System.Globalization;
using BackupFunctions.Engines.Redis;
using BackupFunctions.Engines.Redis.Resp;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Redis;

/// <summary>The keyspace strategy round trip between two real redis-servers, over every value type.</summary>
public class RedisKeyspaceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task SeedAsync(RespConnection r)
    {
        var big = new byte[50 * 1024 * 1024];
        new Random(50).NextBytes(big);
        await r.CallAsync(None, "SELECT", "0");
        await r.CallAsync(None, "SET", "string", "plain ✓ text");
        await r.CallAsync(None, "SET", new byte[] { 0x00, 0xff, 0x0d, 0x0a, 0x80 }, new byte[] { 0xc3, 0x28, 0x00, 0xfe });
        await r.CallAsync(None, "SET", "big-50mb", big);
        await r.CallAsync(None, "RPUSH", "list", "a", "b", "c", "a");
        await r.CallAsync(None, "SADD", "set", "x", "y", "z");
        await r.CallAsync(None, "ZADD", "zset", "1.5", "one", "-2", "two", "1e10", "three");
        await r.CallAsync(None, "HSET", "hash", "f1", "v1", "f2", "v2");
        await r.CallAsync(None, "XADD", "stream", "1-1", "temp", "20.5");
        await r.CallAsync(None, "XADD", "stream", "2-1", "temp", "21.0");
        await r.CallAsync(None, "XGROUP", "CREATE", "stream", "readers", "0");
        await r.CallAsync(None, "XREADGROUP", "GROUP", "readers", "alice", "COUNT", "1", "STREAMS", "stream", ">");
        await r.CallAsync(None, "SET", "expiring", "soon", "PX", "3600000");
        for (int i = 0; i < 10_000; i++)
        {
            r.Send("SET", $"small:{i}", i.ToString(CultureInfo.InvariantCulture));
        }

        await r.FlushAsync(None);
        for (int i = 0; i < 10_000; i++)
        {
            await r.ReadAsync(None);
        }

        await r.CallAsync(None, "SELECT", "3");
        await r.CallAsync(None, "HSET", "db3-hash", "k", "v");
        await r.CallAsync(None, "SELECT", "0");
    }

    private static async Task<Dictionary<string, (byte[] Dump, long Pttl)>> SnapshotAsync(RespConnection r, int db)
    {
        await r.CallAsync(None, "SELECT", db.ToString(CultureInfo.InvariantCulture));
        var result = new Dictionary<string, (byte[], long)>(StringComparer.Ordinal);
        string cursor = "0";
        do
        {
            var scan = await r.CallAsync(None, "SCAN", cursor, "COUNT", "1000");
            cursor = scan.Items![0].Text!;
            foreach (var key in scan.Items[1].Items!)
            {
                var pttl = await r.CallAsync(None, "PTTL", key.Bytes!);
                result[Convert.ToHexString(key.Bytes!)] = (await ContentAsync(r, key.Bytes!), pttl.Number);
            }
        }
        while (cursor != "0");

        return result;
    }

    /// <summary>
    /// The value, comparably: hashtable-encoded sets and hashes may iterate in another order after a
    /// rehash, so those compare as sorted members; every other type compares by its DUMP bytes.
    /// </summary>
    private static async Task<byte[]> ContentAsync(RespConnection r, byte[] key)
    {
        string type = (await r.CallAsync(None, "TYPE", key)).Text!;
        IEnumerable<string>? members = type switch
        {
            "set" => (await r.CallAsync(None, "SMEMBERS", key)).Items!.Select(i => Convert.ToHexString(i.Bytes!)),
            "hash" => (await r.CallAsync(None, "HGETALL", key)).Items!.Chunk(2).Select(p => Convert.ToHexString(p[0].Bytes!) + "=" + Convert.ToHexString(p[1].Bytes!)),
            _ => null,
        };
        return members is null
            ? (await r.CallAsync(None, "DUMP", key)).Bytes!
            : System.Text.Encoding.ASCII.GetBytes(type + ":" + string.Join(",", members.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Keyspace_RoundTrip_EveryTypeTtlsBinaryA50MbValueAndSeveralDatabases()
    {
        await using var sourceServer = await RedisServerProcess.StartAsync(requirePass: "src-pw");
        await using var targetServer = await RedisServerProcess.StartAsync();
        await using var source = await RespConnection.ConnectAsync(RedisEndpoint.Parse(sourceServer.Connection("src-pw")), None);
        await using var target = await RespConnection.ConnectAsync(RedisEndpoint.Parse(targetServer.Connection()), None);
        await SeedAsync(source);
        var before0 = await SnapshotAsync(source, 0);
        var before3 = await SnapshotAsync(source, 3);

        using var dump = new MemoryStream();
        var dumped = await RedisKeyspace.DumpAsync(source, dump, None);
        dump.Position = 0;
        var restored = await RedisKeyspace.RestoreAsync(dump, target, databaseOffset: 0, None);

        Assert.Equal(new Dictionary<string, long> { ["db0"] = before0.Count, ["db3"] = 1 }, dumped);
        Assert.Equal(dumped, restored);
        var after0 = await SnapshotAsync(target, 0);
        var after3 = await SnapshotAsync(target, 3);
        Assert.Equal(before0.Keys.Order(), after0.Keys.Order());
        foreach (var (key, (bytes, pttl)) in before0)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after0[key].Dump), $"key {key}: value differs after restore");
            Assert.True(pttl < 0 ? after0[key].Pttl < 0 : Math.Abs(after0[key].Pttl - pttl) < 10_000, $"key {key}: TTL {pttl} became {after0[key].Pttl}");
        }

        Assert.Equal(before3.Keys, after3.Keys);
        Assert.Equal(10_000 + 9, before0.Count); // string, binary, 50 MB, list, set, zset, hash, stream, expiring + 10 000 small keys
    }

    [Fact]
    public async Task Restore_TruncatedOrCorruptDump_IsRejectedClearly()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await RespConnection.ConnectAsync(RedisEndpoint.Parse(server.Connection()), None);
        await redis.CallAsync(None, "SET", "k", "v");
        using var dump = new MemoryStream();
        await RedisKeyspace.DumpAsync(redis, dump, None);
        byte[] bytes = dump.ToArray();

        var truncated = await Assert.ThrowsAsync<InvalidDataException>(() => RedisKeyspace.RestoreAsync(new MemoryStream(bytes[..^9]), redis, 0, None));
        var badHeader = await Assert.ThrowsAsync<InvalidDataException>(() => RedisKeyspace.RestoreAsync(new MemoryStream([.. "XXXXX\n"u8, .. bytes[6..]]), redis, 0, None));
        bytes[^20] ^= 0xff; // the DUMP payload's CRC64 (payload = 13 bytes before the 8-byte expiry and 9-byte end frame): Redis refuses
        var corrupt = await Assert.ThrowsAnyAsync<Exception>(() => RedisKeyspace.RestoreAsync(new MemoryStream(bytes), redis, 0, None));

        Assert.Contains("no end frame", truncated.Message, StringComparison.Ordinal);
        Assert.Contains("bad header", badHeader.Message, StringComparison.Ordinal);
        Assert.Contains("RESTORE failed", corrupt.Message, StringComparison.Ordinal);
    }
}
