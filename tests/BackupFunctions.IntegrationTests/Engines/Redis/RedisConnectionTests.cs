using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;
using BackupFunctions.Engines.Redis.Resp;
using BackupFunctions.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace BackupFunctions.IntegrationTests.Engines.Redis;

/// <summary>
/// The engine's two kinds of connection against real redis-servers: StackExchange.Redis (<see cref="RedisClient"/>) for
/// everything, and the raw socket of the replication reader (<see cref="RespConnection"/>). Both take the same parsed
/// connection string, and fail with one line that names host:port and never the password.
/// </summary>
public class RedisConnectionTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    public static TheoryData<bool> Readers => new() { false, true }; // true: the replication reader's raw socket

    private static Task<RedisClient> ConnectAsync(string options = ",defaultDatabase=7") =>
        RedisClient.ConnectAsync(RedisEndpoint.Parse($"127.0.0.1:{TestServers.RedisPort}{options}"), None);

    /// <summary>Connects one way or the other; the raw socket on a thread of its own, as the replication strategy does.</summary>
    private static async Task<IAsyncDisposable> ConnectEitherAsync(string connection, bool raw) => raw
        ? await Task.Run(() => RespConnection.Connect(RedisEndpoint.Parse(connection)))
        : await RedisClient.ConnectAsync(RedisEndpoint.Parse(connection), None);

    [Fact]
    public async Task BinaryKeysAndValues_RoundTrip_IncludingCrLfAndNonUtf8()
    {
        await using var redis = await ConnectAsync();
        var db = redis.Database(redis.Endpoint.Database);
        byte[] key = [0x00, 0xff, (byte)'\r', (byte)'\n', 0x80, (byte)'k'];
        byte[] value = new byte[1 << 20];
        new Random(4).NextBytes(value);
        value[100] = (byte)'\r';
        value[101] = (byte)'\n';

        await db.ExecuteAsync("SET", (RedisKey)key, value);
        var got = await db.ExecuteAsync("GET", (RedisKey)key);
        await db.ExecuteAsync("DEL", (RedisKey)key);

        Assert.Equal(ResultType.BulkString, got.Resp2Type);
        Assert.Equal(value, (byte[]?)got);
    }

    [Fact]
    public async Task Pipelining_ThousandCommands_RepliesInOrder_InTheSelectedDatabase()
    {
        await using var redis = await ConnectAsync(",defaultDatabase=8");
        var db = redis.Database(redis.Endpoint.Database);
        await redis.Server.FlushDatabaseAsync(8);
        var pending = new List<Task<RedisResult>>();
        for (int i = 0; i < 1000; i++)
        {
            pending.Add(db.ExecuteAsync("INCRBY", $"n{i % 10}", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var replies = (await Task.WhenAll(pending)).Select(r => (long)r).ToList();
        long size = await redis.Server.DatabaseSizeAsync(8);
        var all = (RedisResult[])(await db.ExecuteAsync("MGET", "n0", "n9", "missing"))!;
        await redis.Server.FlushDatabaseAsync(8);

        Assert.Equal(0, replies[0]);
        // replies[^10] is INCRBY n0 990: the running sum 0 + 10 + ... + 990 of key n0.
        Assert.Equal(49_500, replies[^10]);
        Assert.Equal(10, size);
        Assert.Equal(3, all.Length);
        Assert.True(all[2].IsNull);
        Assert.Equal(Enumerable.Range(0, 100).Sum(k => k * 10).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)all[0]);
    }

    [Fact]
    public async Task ErrorReply_IsARespErrorWithItsCode_OnTheRawSocket_AndOneLineThroughStackExchangeRedis()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = await RedisClient.ConnectAsync(RedisEndpoint.Parse(server.Connection()), None);
        await redis.Database(0).ExecuteAsync("SET", "text-key", "abc");

        var raw = await Task.Run(() =>
        {
            using var connection = RespConnection.Connect(RedisEndpoint.Parse(server.Connection()));
            return Assert.Throws<RespErrorException>(() => connection.Call("INCR", "text-key"));
        });
        var viaClient = await Assert.ThrowsAsync<RedisServerException>(() => redis.Database(0).ExecuteAsync("INCR", "text-key"));
        var translated = RedisClient.Translate(redis.Endpoint, viaClient, "testing");

        Assert.Equal("ERR", raw.Code);
        Assert.Equal(FailureKind.Failed, translated.Kind);
        Assert.Equal($"Redis at 127.0.0.1:{server.Port} failed while testing: ERR value is not an integer or out of range", translated.Message);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task NothingListening_IsUnavailableWithAOneLineReason(bool raw)
    {
        var error = await Assert.ThrowsAsync<EngineException>(() => ConnectEitherAsync("127.0.0.1:1", raw));

        Assert.Equal(FailureKind.Unavailable, error.Kind);
        Assert.Equal("connection refused at 127.0.0.1:1 (is Redis running and listening there?)", error.Message);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task RequirePass_RightPasswordWorks_WrongIsAnAuthenticationError_NoneGetsNoAuth(bool raw)
    {
        await using var server = await RedisServerProcess.StartAsync(requirePass: "it-secret-pw");

        await using (var ok = await ConnectEitherAsync(server.Connection("it-secret-pw"), raw))
        {
            string pong = ok is RespConnection connection
                ? await Task.Run(() => connection.Call("PING"))
                : (string)(await ((RedisClient)ok).Database(0).ExecuteAsync("PING"))!;
            Assert.Equal("PONG", pong);
        }

        var wrong = await Assert.ThrowsAsync<EngineException>(() => ConnectEitherAsync(server.Connection("nope"), raw));
        Assert.Equal(FailureKind.Authentication, wrong.Kind);
        Assert.Contains("refused the credentials", wrong.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", wrong.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nope", wrong.Message, StringComparison.Ordinal);

        if (raw)
        {
            // The raw socket sends nothing before it is asked to: the first command meets NOAUTH.
            await using var anonymous = (RespConnection)await ConnectEitherAsync(server.Connection(), raw);
            var noAuth = await Task.Run(() => Assert.Throws<RespErrorException>(() => anonymous.Call("PING")));
            Assert.Equal("NOAUTH", noAuth.Code);
        }
        else
        {
            // StackExchange.Redis's handshake meets NOAUTH: the connection fails, and says what is missing.
            var noAuth = await Assert.ThrowsAsync<EngineException>(() => ConnectEitherAsync(server.Connection(), raw));
            Assert.Equal(FailureKind.Authentication, noAuth.Kind);
            Assert.Equal($"Redis at 127.0.0.1:{server.Port} requires a password (set password=, and user= for an ACL user)", noAuth.Message);
        }
    }

    [Theory]
    [InlineData(RedisEngine.Replication)]
    [InlineData(RedisEngine.Keyspace)]
    public async Task AServerThatNeverAnswers_FailsWithinConnectTimeout_InOneLine(string strategy)
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts (the kernel does), never answers
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EngineException>(() => new RedisEngine(strategy).DumpAsync($"127.0.0.1:{port},connectTimeout=700", Stream.Null, None));

        Assert.Equal(FailureKind.Unavailable, error.Kind);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(RedisEngine.Replication)]
    [InlineData(RedisEngine.Keyspace)]
    public async Task SslAgainstAPlainServer_IsAOneLineErrorAboutTls(string strategy)
    {
        await using var server = await RedisServerProcess.StartAsync(requirePass: "tls-secret-pw");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EngineException>(() =>
            new RedisEngine(strategy).DumpAsync($"127.0.0.1:{server.Port},password=tls-secret-pw,ssl=true,connectTimeout=1000", Stream.Null, None));

        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tls-secret-pw", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }
}
