using System.Globalization;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace BackupFunctions.IntegrationTests.Engines.Redis;

/// <summary>
/// The Redis engine between real redis-servers, through both strategies: every value type, TTLs,
/// binary keys and values, a 50 MB value, many small keys, several databases, requirepass; the two
/// forms of the SYNC payload; verify; restore refusing, replacing and rolling back.
/// </summary>
public class RedisEngineTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    public static TheoryData<string> Strategies => new() { RedisEngine.Replication, RedisEngine.Keyspace };

    private static async Task SeedAsync(RedisClient redis, int smallKeys = 10_000)
    {
        var big = new byte[50 * 1024 * 1024];
        new Random(50).NextBytes(big);
        var r = redis.Database(0);
        await r.ExecuteAsync("SET", "string", "plain ✓ text");
        await r.ExecuteAsync("SET", "12345", "an integer-encoded key");
        await r.ExecuteAsync("SET", new byte[] { 0x00, 0xff, 0x0d, 0x0a, 0x80 }, new byte[] { 0xc3, 0x28, 0x00, 0xfe });
        await r.ExecuteAsync("SET", "big-50mb", big);
        await r.ExecuteAsync("SET", "compressible", new string('z', 100_000)); // LZF-compressed in the RDB
        await r.ExecuteAsync("SET", new string('k', 100), "a long key: LZF-compressed in the RDB too");
        await r.ExecuteAsync("RPUSH", "list", "a", "b", "c", "a");
        await r.ExecuteAsync("SADD", "set", "x", "y", "z");
        await r.ExecuteAsync("SADD", "intset", "1", "2", "3");
        await r.ExecuteAsync("ZADD", "zset", "1.5", "one", "-2", "two", "1e10", "three");
        await r.ExecuteAsync("HSET", "hash", "f1", "v1", "f2", "v2");
        var pipelined = new List<Task>();
        for (int i = 0; i < 300; i++)
        {
            pipelined.Add(r.ExecuteAsync("SADD", "bigset", $"member-{i}")); // hashtable encodings, beyond listpack limits
            pipelined.Add(r.ExecuteAsync("HSET", "bighash", $"field-{i}", new string('v', 100)));
            pipelined.Add(r.ExecuteAsync("ZADD", "bigzset", i.ToString(CultureInfo.InvariantCulture), $"m{i}"));
            pipelined.Add(r.ExecuteAsync("RPUSH", "biglist", new string('l', 200)));
        }

        await Task.WhenAll(pipelined);
        await r.ExecuteAsync("XADD", "stream", "1-1", "temp", "20.5");
        await r.ExecuteAsync("XADD", "stream", "2-1", "temp", "21.0");
        await r.ExecuteAsync("XGROUP", "CREATE", "stream", "readers", "0");
        await r.ExecuteAsync("XREADGROUP", "GROUP", "readers", "alice", "COUNT", "1", "STREAMS", "stream", ">");
        await r.ExecuteAsync("SET", "expiring", "soon", "PX", "3600000");
        pipelined.Clear();
        for (int i = 0; i < smallKeys; i++)
        {
            pipelined.Add(r.ExecuteAsync("SET", $"small:{i}", i.ToString(CultureInfo.InvariantCulture)));
        }

        await Task.WhenAll(pipelined);
        await redis.Database(3).ExecuteAsync("HSET", "db3-hash", "k", "v");
    }

    /// <summary>
    /// Every key's comparable value and its absolute expiry (PEXPIRETIME, Unix ms; -1 without one). Absolute, not PTTL:
    /// the two snapshots are taken one after the other, and under load a snapshot took longer than the tolerance (CI
    /// saw a TTL "become" 14 s shorter that was the same expiry read 14 s later).
    /// </summary>
    private static async Task<Dictionary<string, (byte[] Dump, long ExpireAt)>> SnapshotAsync(RedisClient redis, int db)
    {
        var r = redis.Database(db);
        var result = new Dictionary<string, (byte[], long)>(StringComparer.Ordinal);
        await foreach (var key in redis.Server.KeysAsync(db, pageSize: 1000))
        {
            long expireAt = (long)await r.ExecuteAsync("PEXPIRETIME", key);
            result[Convert.ToHexString((byte[])key!)] = (await ContentAsync(r, key), expireAt);
        }

        return result;
    }

    /// <summary>
    /// The value, comparably: hashtable-encoded sets and hashes may iterate in another order after a
    /// rehash, so those compare as sorted members; every other type compares by its DUMP bytes.
    /// </summary>
    private static async Task<byte[]> ContentAsync(IDatabase r, RedisKey key)
    {
        string type = (string)(await r.ExecuteAsync("TYPE", key))!;
        IEnumerable<string>? members = type switch
        {
            "set" => ((RedisResult[])(await r.ExecuteAsync("SMEMBERS", key))!).Select(i => Convert.ToHexString((byte[])i!)),
            "hash" => ((RedisResult[])(await r.ExecuteAsync("HGETALL", key))!).Chunk(2).Select(p => Convert.ToHexString((byte[])p[0]!) + "=" + Convert.ToHexString((byte[])p[1]!)),
            _ => null,
        };
        return members is null
            ? (byte[])(await r.ExecuteAsync("DUMP", key))!
            : System.Text.Encoding.ASCII.GetBytes(type + ":" + string.Join(",", members.Order(StringComparer.Ordinal)));
    }

    private static async Task AssertSameAsync(RedisClient source, RedisClient target, int db, int targetDb)
    {
        var before = await SnapshotAsync(source, db);
        var after = await SnapshotAsync(target, targetDb);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (key, (bytes, expireAt)) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[key].Dump), $"key {key}: value differs after restore");
            // Within 10 s: a strategy that carries a TTL (not an absolute time) shifts it by the time from dump to restore.
            Assert.True(expireAt < 0 ? after[key].ExpireAt < 0 : Math.Abs(after[key].ExpireAt - expireAt) < 10_000,
                $"key {key}: expiry at {expireAt} became {after[key].ExpireAt} (Unix ms)");
        }
    }

    /// <summary>The databases that hold keys, e.g. "0,6".</summary>
    private static async Task<string> DatabasesAsync(RedisClient r) => string.Join(",", await r.DatabasesAsync());

    private static Task<RedisClient> ConnectAsync(string connection) => RedisClient.ConnectAsync(RedisEndpoint.Parse(connection), None);

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task RoundTrip_EveryTypeTtlsBinaryA50MbValueAndSeveralDatabases(string strategy)
    {
        await using var sourceServer = await RedisServerProcess.StartAsync(requirePass: "src-pw");
        await using var targetServer = await RedisServerProcess.StartAsync(requirePass: "dst-pw");
        await using var source = await ConnectAsync(sourceServer.Connection("src-pw"));
        await using var target = await ConnectAsync(targetServer.Connection("dst-pw"));
        await SeedAsync(source);
        var engine = new RedisEngine(strategy);

        using var dump = new MemoryStream();
        var result = await engine.DumpAsync(sourceServer.Connection("src-pw"), dump, None);
        dump.Position = 0;
        var check = await engine.CheckStructureAsync(dump, result.Stats, None);
        dump.Position = 0;
        await engine.RestoreAsync(dump, targetServer.Connection("dst-pw"), new RestoreOptions(Replace: false), None);

        Assert.True(check.IsValid, check.Detail);
        Assert.Equal($"redis-{strategy}", result.Tool);
        Assert.StartsWith(strategy == RedisEngine.Replication ? "rdb-v" : "redis-keyspace-v1", result.Format, StringComparison.Ordinal);
        Assert.StartsWith("7.", result.EngineVersion, StringComparison.Ordinal);
        Assert.Equal(10_000 + 17, result.Stats.Counts["db0"]);
        Assert.Equal(1, result.Stats.Counts["db3"]);
        Assert.Equal(10_000 + 7, result.Stats.Counts["db0/string"]);
        Assert.Equal(1, result.Stats.Counts["db0/stream"]);
        Assert.Equal(3, result.Stats.Counts["db0/set"]);
        Assert.True(result.Stats.SizeBytes > 50_000_000, $"used memory {result.Stats.SizeBytes}");
        Assert.Equal(result.Stats.Counts, (await engine.ReadStatsAsync(targetServer.Connection("dst-pw"), None)).Counts);
        await AssertSameAsync(source, target, 0, 0);
        await AssertSameAsync(source, target, 3, 3);
    }

    [Fact]
    public async Task Replication_ReadsBothPayloadForms_AndReportsAChecksumThatIsOff()
    {
        foreach (var (settings, checksum) in new[]
        {
            (new[] { "--repl-diskless-sync", "yes" }, "CRC64 verified"),            // $EOF:<mark> ... <mark>
            (new[] { "--repl-diskless-sync", "no" }, "CRC64 verified"),             // $<length>, from a BGSAVE file
            (new[] { "--repl-diskless-sync", "yes", "--rdbchecksum", "no" }, "CRC64 off"),
            (new[] { "--rename-command", "REPLCONF", "" }, "CRC64 verified"),           // an older server: REPLCONF refused, $<length>, then the live stream
        })
        {
            await using var server = await RedisServerProcess.StartAsync(null, settings);
            await using (var r = await ConnectAsync(server.Connection()))
            {
                await SeedAsync(r, smallKeys: 100);
            }

            var engine = new RedisEngine(RedisEngine.Replication);
            using var dump = new MemoryStream();
            var result = await engine.DumpAsync(server.Connection(), dump, None);
            dump.Position = 0;
            var check = await engine.CheckStructureAsync(dump, result.Stats, None);

            Assert.Equal($"SYNC; {checksum}", result.ToolVersion);
            Assert.True(check.IsValid, check.Detail);
            Assert.Contains(checksum, check.Detail, StringComparison.Ordinal);
            Assert.Equal(117, result.Stats.Counts["db0"]);
            Assert.Equal("REDIS"u8.ToArray(), dump.ToArray()[..5]);
        }
    }

    [Fact]
    public async Task Auto_FallsBackToKeyspace_WhenSyncIsRefused_AndReplicationSaysWhatToDo()
    {
        await using var server = await RedisServerProcess.StartAsync(null, "--rename-command", "SYNC", "");
        await using (var r = await ConnectAsync(server.Connection()))
        {
            await r.Database(0).ExecuteAsync("SET", "k", "v");
        }

        using var dump = new MemoryStream();
        var auto = await new RedisEngine(RedisEngine.Auto).DumpAsync(server.Connection(), dump, None);
        var refused = await Assert.ThrowsAsync<EngineException>(() => new RedisEngine(RedisEngine.Replication).DumpAsync(server.Connection(), Stream.Null, None));

        Assert.Equal("redis-keyspace", auto.Tool);
        Assert.StartsWith("SCAN+DUMP (SYNC refused: ERR unknown command", auto.ToolVersion, StringComparison.Ordinal);
        Assert.Equal(1, auto.Stats.Counts["db0"]);
        Assert.Equal(FailureKind.Configuration, refused.Kind);
        Assert.Contains("refused SYNC", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Strategy=keyspace", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replication_FromAServerStillLoadingItsDataset_FailsAsUnavailable_NotAsARefusedSync()
    {
        // key-load-delay (a debug setting) slows the load after the restart down to seconds; the server
        // answers commands (LOADING) between every KiB loaded instead of every 2 MB.
        await using var server = await RedisServerProcess.StartAsync(null, "--key-load-delay", "50", "--loading-process-events-interval-bytes", "1024",
            "--enable-debug-command", "local");
        Assert.StartsWith("+OK", await server.CommandAsync("DEBUG POPULATE 20000"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await server.CommandAsync("SAVE"), StringComparison.Ordinal);
        await server.RestartAsync(waitUntilLoaded: false);

        var loading = await Assert.ThrowsAsync<EngineException>(() => new RedisEngine(RedisEngine.Replication).DumpAsync(server.Connection(), Stream.Null, None));

        Assert.Equal(FailureKind.Unavailable, loading.Kind); // retried, where a refused SYNC is a configuration error
        Assert.Contains("is still loading its dataset", loading.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Restore_RefusesANonEmptyDatabase_ReplacesWithReplace_AndRollsBackAFailure(string strategy)
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        await r.Database(0).ExecuteAsync("SET", "from-backup", "1");
        await r.Database(1).ExecuteAsync("SET", "db1-from-backup", "1");
        var engine = new RedisEngine(strategy);
        using var dump = new MemoryStream();
        await engine.DumpAsync(server.Connection(), dump, None);
        byte[] bytes = dump.ToArray();
        await r.Server.FlushAllDatabasesAsync();
        await r.Database(6).ExecuteAsync("SET", "already-here", "keep me"); // destination: defaultDatabase=5, so dump db 1 lands in db 6

        // Without replace: db 5 is restored first, then db 6 is found non-empty; db 5 is flushed again.
        var refused = await Assert.ThrowsAsync<EngineException>(() =>
            engine.RestoreAsync(new MemoryStream(bytes), server.Connection(database: 5), new RestoreOptions(Replace: false), None));
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("db 6", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--replace", refused.Message, StringComparison.Ordinal);
        Assert.Equal("6", await DatabasesAsync(r));

        // With replace, but the checksum check before the swap fails: nothing changes.
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RestoreAsync(new MemoryStream(bytes), server.Connection(database: 5),
            new RestoreOptions(Replace: true, VerifyBeforeSwap: _ => throw new InvalidOperationException("checksum mismatch")), None));
        Assert.Equal("6", await DatabasesAsync(r));
        Assert.Equal("keep me", (string?)await r.Database(6).ExecuteAsync("GET", "already-here"));

        // With replace: db 6 now holds exactly the backup's db 1.
        await engine.RestoreAsync(new MemoryStream(bytes), server.Connection(database: 5), new RestoreOptions(Replace: true), None);
        Assert.Equal("5,6", await DatabasesAsync(r));
        Assert.True((await r.Database(6).ExecuteAsync("GET", "already-here")).IsNull);
        Assert.Equal("1", (string?)await r.Database(6).ExecuteAsync("GET", "db1-from-backup"));
        Assert.Equal("checksum mismatch", failed.Message);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task TruncatedOrCorruptDumps_FailVerify_AndTheirRestoreLeavesNothingBehind(string strategy)
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        var random = new Random(7);
        byte[] marked = new byte[50];
        for (int i = 0; i < 2000; i++)
        {
            var value = new byte[50]; // random: the RDB stores it as it is, so a byte of it can be found and flipped
            random.NextBytes(value);
            await r.Database(0).ExecuteAsync("SET", $"key:{i}", value);
            marked = i == 1000 ? value : marked;
        }

        var engine = new RedisEngine(strategy);
        using var dump = new MemoryStream();
        var result = await engine.DumpAsync(server.Connection(), dump, None);
        byte[] bytes = dump.ToArray();
        byte[] flipped = (byte[])bytes.Clone();
        flipped[bytes.AsSpan().IndexOf(marked) + 25] ^= 0x01; // inside one value: only a checksum can notice

        var truncated = await engine.CheckStructureAsync(new MemoryStream(bytes[..^30]), result.Stats, None);
        var corrupt = await engine.CheckStructureAsync(new MemoryStream(flipped), result.Stats, None);
        var otherCounts = await engine.CheckStructureAsync(new MemoryStream(bytes), result.Stats with { Counts = new Dictionary<string, long> { ["db0"] = 1999 } }, None);
        var restore = await Assert.ThrowsAsync<EngineException>(() => engine.RestoreAsync(new MemoryStream(flipped), server.Connection(database: 2), new RestoreOptions(false), None));

        Assert.False(truncated.IsValid);
        Assert.Contains("truncated", truncated.Detail, StringComparison.Ordinal);
        Assert.False(corrupt.IsValid);
        Assert.Contains("CRC64", corrupt.Detail, StringComparison.Ordinal);
        Assert.False(otherCounts.IsValid);
        Assert.Contains("db0: 2000 (manifest 1999)", otherCounts.Detail, StringComparison.Ordinal);
        Assert.Contains("nothing kept", restore.Message, StringComparison.Ordinal);
        Assert.Equal("0", await DatabasesAsync(r)); // db 2 was flushed again
    }

    [Theory]
    [InlineData(100, 200)] // refused while later RESTOREs are still being sent
    [InlineData(1500, 1700)] // refused among the last ones
    public async Task ARestoreThatRedisRefuses_StopsInOneLine_AndLeavesNothingBehind(int first, int second)
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        await r.Database(0).ExecuteAsync("SET", "twice", "v");
        byte[] payload = (await r.Database(0).KeyDumpAsync("twice"))!;
        await r.Server.FlushAllDatabasesAsync();
        // A keyspace dump that holds one key twice (as SCAN may return it): the second RESTORE meets BUSYKEY.
        using var dump = new MemoryStream();
        dump.Write("BFRK1\n"u8);
        dump.Write([(byte)'D', 0, 0, 0, 0]);
        for (int i = 0; i < 2000; i++)
        {
            byte[] key = System.Text.Encoding.ASCII.GetBytes(i == first || i == second ? "twice" : $"k{i}");
            dump.Write([(byte)'K', 0, 0, (byte)(key.Length >> 8), (byte)key.Length]);
            dump.Write(key);
            dump.Write([0, 0, (byte)(payload.Length >> 8), (byte)payload.Length]);
            dump.Write(payload);
            dump.Write([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // no expiry
        }

        dump.Write([(byte)'E', 0, 0, 0, 0, 0, 0, 0x07, 0xd0]);
        dump.Position = 0;

        var error = await Assert.ThrowsAsync<EngineException>(() => new RedisEngine().RestoreAsync(dump, server.Connection(database: 4), new RestoreOptions(false), None));

        Assert.Equal(FailureKind.Failed, error.Kind);
        Assert.StartsWith($"restore into 127.0.0.1:{server.Port}/4 stopped, nothing kept: RESTORE failed: BUSYKEY", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal("", await DatabasesAsync(r)); // db 4 was flushed again
    }

    [Fact]
    public async Task Scratch_OnTheRestoreTestConnection_MustBeEmpty_AndIsFlushedAfterwards()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        await r.Database(0).ExecuteAsync("SET", "source-data", "x");
        var engine = new RedisEngine();

        var stats = new SourceStats(RedisEngine.StatsKind, new Dictionary<string, long> { ["db0"] = 1, ["db0/string"] = 1 }, null);
        var busy = await Assert.ThrowsAsync<EngineException>(() => engine.CreateScratchAsync(new ScratchRequest(server.Connection(), server.Connection(), stats), None));
        await using (var scratch = await engine.CreateScratchAsync(new ScratchRequest(server.Connection(), server.Connection(database: 9), stats), None))
        {
            await r.Database(10).ExecuteAsync("SET", "restored", "x");
        }

        Assert.Equal(FailureKind.Refused, busy.Kind);
        Assert.Contains("holds keys in db 0", busy.Message, StringComparison.Ordinal);
        Assert.Equal("0", await DatabasesAsync(r));
    }

    [Fact]
    public async Task AclUsers_AReaderBacksUpWithoutSync_AWriterRestoresWithoutConfig_AndAMissingPermissionIsNamed()
    {
        await using var source = await RedisServerProcess.StartAsync(requirePass: "admin-pw");
        await using var target = await RedisServerProcess.StartAsync(requirePass: "admin-pw");
        await using (var admin = await ConnectAsync(source.Connection("admin-pw")))
        {
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "reader", "on", ">reader-pw", "~*", "+@read", "+@connection", "+info", "+time");
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "blind", "on", ">blind-pw", "~*", "+@read", "+@connection", "+time"); // no INFO
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "mute", "on", ">mute-pw", "~*", "+@read", "+info", "+time"); // no ECHO
            await admin.Database(0).ExecuteAsync("SET", "k", "v");
            await admin.Database(2).ExecuteAsync("RPUSH", "l", "a", "b");
        }

        await using (var admin = await ConnectAsync(target.Connection("admin-pw")))
        {
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "writer", "on", ">writer-pw", "~*", "+@connection", "+info",
                "+restore", "+dbsize", "+flushdb", "+swapdb", "+type", "+dump", "+scard", "+hlen"); // no CONFIG, no SCAN
        }

        using var dump = new MemoryStream();
        var result = await new RedisEngine(RedisEngine.Auto).DumpAsync($"127.0.0.1:{source.Port},user=reader,password=reader-pw", dump, None);
        dump.Position = 0;
        await new RedisEngine().RestoreAsync(dump, $"127.0.0.1:{target.Port},user=writer,password=writer-pw", new RestoreOptions(Replace: false), None);
        var blind = await Assert.ThrowsAsync<EngineException>(() =>
            new RedisEngine(RedisEngine.Keyspace).DumpAsync($"127.0.0.1:{source.Port},user=blind,password=blind-pw", Stream.Null, None));
        var mute = await Assert.ThrowsAsync<EngineException>(() =>
            new RedisEngine(RedisEngine.Keyspace).DumpAsync($"127.0.0.1:{source.Port},user=mute,password=mute-pw", Stream.Null, None));

        Assert.Equal("redis-keyspace", result.Tool);
        Assert.StartsWith("SCAN+DUMP (SYNC refused: NOPERM", result.ToolVersion, StringComparison.Ordinal);
        Assert.Equal(1, result.Stats.Counts["db0"]);
        Assert.Equal(1, result.Stats.Counts["db2/list"]);
        await using (var check = await ConnectAsync(target.Connection("admin-pw")))
        {
            Assert.Equal("0,2", await DatabasesAsync(check));
            Assert.Equal("v", (string?)await check.Database(0).ExecuteAsync("GET", "k"));
        }

        Assert.Equal(FailureKind.Authentication, blind.Kind);
        Assert.StartsWith($"Redis at 127.0.0.1:{source.Port} refused a command while dumping the keyspace: NOPERM", blind.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("blind-pw", blind.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', blind.Message);
        Assert.Equal(FailureKind.Authentication, mute.Kind);
        Assert.StartsWith($"Redis at 127.0.0.1:{source.Port} refused the connection handshake: NOPERM", mute.Message, StringComparison.Ordinal);
        Assert.EndsWith("(the connection handshake needs ECHO)", mute.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task AServerThatIsNotRedis_IsAOneLineErrorNamingHostAndPort(string strategy)
    {
        await using var http = await HttpReceiver.StartAsync(); // Kestrel: answers RESP with an HTTP 400
        var port = new Uri(http.Url).Port;

        var error = await Assert.ThrowsAsync<EngineException>(() => new RedisEngine(strategy).DumpAsync($"127.0.0.1:{port}", Stream.Null, None));

        Assert.StartsWith($"127.0.0.1:{port} does not answer like a Redis server (unexpected RESP reply type 'H')", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
