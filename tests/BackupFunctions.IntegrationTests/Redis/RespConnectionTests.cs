using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;
using BackupFunctions.Engines.Redis.Resp;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Redis;

/// <summary>The RESP client against a real redis-server.</summary>
public class RespConnectionTests
{
    private static Task<RespConnection> ConnectAsync(string options = ",defaultDatabase=7") =>
        RespConnection.ConnectAsync(RedisEndpoint.Parse($"127.0.0.1:{TestServers.RedisPort}{options}"), CancellationToken.None);

    [Fact]
    public async Task BinaryKeysAndValues_RoundTrip_IncludingCrLfAndNonUtf8()
    {
        await using var redis = await ConnectAsync();
        byte[] key = [0x00, 0xff, (byte)'\r', (byte)'\n', 0x80, (byte)'k'];
        byte[] value = new byte[1 << 20];
        new Random(4).NextBytes(value);
        value[100] = (byte)'\r';
        value[101] = (byte)'\n';

        await redis.CallAsync(CancellationToken.None, "SET", key, value);
        var got = await redis.CallAsync(CancellationToken.None, "GET", key);
        await redis.CallAsync(CancellationToken.None, "DEL", key);

        Assert.Equal(RespKind.BulkString, got.Kind);
        Assert.Equal(value, got.Bytes);
    }

    [Fact]
    public async Task Pipelining_ThousandCommands_RepliesInOrder_InTheSelectedDatabase()
    {
        await using var redis = await ConnectAsync(",defaultDatabase=8");
        await redis.CallAsync(CancellationToken.None, "FLUSHDB");
        for (int i = 0; i < 1000; i++)
        {
            redis.Send("INCRBY", $"n{i % 10}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await redis.FlushAsync(CancellationToken.None);
        var replies = new List<long>();
        for (int i = 0; i < 1000; i++)
        {
            replies.Add((await redis.ReadAsync(CancellationToken.None)).Number);
        }

        var size = await redis.CallAsync(CancellationToken.None, "DBSIZE");
        var all = await redis.CallAsync(CancellationToken.None, "MGET", "n0", "n9", "missing");
        await redis.CallAsync(CancellationToken.None, "FLUSHDB");

        Assert.Equal(0, replies[0]);
        // replies[^10] is INCRBY n0 990: the running sum 0 + 10 + ... + 990 of key n0.
        Assert.Equal(49_500, replies[^10]);
        Assert.Equal(10, size.Number);
        Assert.Equal(RespKind.Array, all.Kind);
        Assert.True(all.Items![2].IsNull);
        Assert.Equal(Enumerable.Range(0, 100).Sum(k => k * 10).ToString(System.Globalization.CultureInfo.InvariantCulture), all.Items[0].Text);
    }

    [Fact]
    public async Task ErrorReply_IsARespErrorWithItsCode()
    {
        await using var redis = await ConnectAsync();
        await redis.CallAsync(CancellationToken.None, "SET", "text-key", "abc");

        var error = await Assert.ThrowsAsync<RespErrorException>(() => redis.CallAsync(CancellationToken.None, "INCR", "text-key"));

        Assert.Equal("ERR", error.Code);
        await redis.CallAsync(CancellationToken.None, "DEL", "text-key");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the blocking socket of the replication strategy
    public async Task NothingListening_IsUnavailableWithAOneLineReason(bool blocking)
    {
        var error = await Assert.ThrowsAsync<EngineException>(() => RespConnection.ConnectAsync(RedisEndpoint.Parse("127.0.0.1:1"), CancellationToken.None, blocking));

        Assert.Equal(FailureKind.Unavailable, error.Kind);
        Assert.Equal("connection refused at 127.0.0.1:1 (is Redis running and listening there?)", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequirePass_RightPasswordWorks_WrongIsAnAuthenticationError_NoneGetsNoAuth(bool blocking)
    {
        await using var server = await RedisServerProcess.StartAsync(requirePass: "it-secret-pw");

        await using (var ok = await RespConnection.ConnectAsync(RedisEndpoint.Parse(server.Connection("it-secret-pw")), CancellationToken.None, blocking))
        {
            Assert.Equal("PONG", (await ok.CallAsync(CancellationToken.None, "PING")).Text);
        }

        var wrong = await Assert.ThrowsAsync<EngineException>(() =>
            RespConnection.ConnectAsync(RedisEndpoint.Parse(server.Connection("nope")), CancellationToken.None, blocking));
        Assert.Equal(FailureKind.Authentication, wrong.Kind);
        Assert.Contains("refused the credentials", wrong.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nope", wrong.Message, StringComparison.Ordinal);

        await using var anonymous = await RespConnection.ConnectAsync(RedisEndpoint.Parse(server.Connection()), CancellationToken.None, blocking);
        var noAuth = await Assert.ThrowsAsync<RespErrorException>(() => anonymous.CallAsync(CancellationToken.None, "PING"));
        Assert.Equal("NOAUTH", noAuth.Code);
    }
}
