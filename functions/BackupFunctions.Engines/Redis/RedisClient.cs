using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// A StackExchange.Redis connection to the one server a connection string names, set up for a backup tool: it fails at
/// once (one attempt, bounded by connectTimeout) with a one-line <see cref="EngineException"/> that names host:port and
/// the cause; admin commands (INFO, CONFIG GET, FLUSHDB, SWAPDB) are allowed; and of its handshake a restricted ACL
/// user needs only AUTH and ECHO (no SUBSCRIBE, no tie-breaker GET; HELLO, INFO and CLIENT SETNAME may be refused).
/// Commands are pipelined by issuing many asynchronous calls before awaiting them.
/// </summary>
public sealed partial class RedisClient : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    private RedisClient(ConnectionMultiplexer multiplexer, RedisEndpoint endpoint)
    {
        _multiplexer = multiplexer;
        Endpoint = endpoint;
        Server = multiplexer.GetServers()[0];
    }

    public RedisEndpoint Endpoint { get; }

    public IServer Server { get; }

    /// <summary>Logical database <paramref name="db"/> (absolute, not relative to defaultDatabase).</summary>
    public IDatabase Database(int db) => _multiplexer.GetDatabase(db);

    /// <summary>The smallest time any single command may take: a DUMP or RESTORE of a large value is slow.</summary>
    private const int MinimumCommandTimeoutMs = 60_000;

    public static async Task<RedisClient> ConnectAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var options = endpoint.Options;
        options.AbortOnConnectFail = true; // fail now, with the cause recorded below, instead of retrying in the background
        options.ConnectRetry = 1;
        options.AllowAdmin = true;
        options.ConfigurationChannel = ""; // no subscription to a configuration channel
        options.TieBreaker = "";
        options.ClientName ??= "backupfn";
        options.AsyncTimeout = Math.Max(options.AsyncTimeout, MinimumCommandTimeoutMs);
        var failure = new TaskCompletionSource<ConnectionAttemptCompletedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        options.ConnectionAttemptCompleted += (_, attempt) =>
        {
            if (!attempt.IsSuccess && attempt.ConnectionType == ConnectionType.Interactive)
            {
                failure.TrySetResult(attempt);
            }
        };

        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException e)
        {
            // The attempt's outcome is reported on a worker thread: it may arrive just after the exception. None at all: a timeout.
            var attempt = await Task.WhenAny(failure.Task, Task.Delay(500, CancellationToken.None)) == failure.Task ? await failure.Task : null;
            throw ConnectFailure(endpoint, attempt, e);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await multiplexer.DisposeAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }

        return new RedisClient(multiplexer, endpoint);
    }

    private static EngineException ConnectFailure(RedisEndpoint endpoint, ConnectionAttemptCompletedEventArgs? attempt, RedisConnectionException e)
    {
        string at = endpoint.Address;
        var cause = attempt?.Exception;
        if (attempt is null)
        {
            return new EngineException(FailureKind.Unavailable,
                $"timed out connecting to Redis at {at} (is it reachable{(endpoint.Ssl ? ", and does it speak TLS (ssl=true)" : "")}?)", e);
        }

        if (Find<SocketException>(cause) is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new EngineException(FailureKind.Unavailable, $"connection refused at {at} (is Redis running and listening there?)", e),
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new EngineException(FailureKind.Configuration,
                    $"host '{endpoint.Host}' not found (check the Redis connection string)", e),
                SocketError.TimedOut => new EngineException(FailureKind.Unavailable, $"timed out connecting to Redis at {at} (is it reachable?)", e),
                _ => new EngineException(FailureKind.Unavailable, $"cannot reach Redis at {at}: {socket.SocketErrorCode}", e),
            };
        }

        if (attempt.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            string who = endpoint.User is null ? "" : $" of user '{endpoint.User}'";
            return new EngineException(FailureKind.Authentication, endpoint.Password is null
                ? $"Redis at {at} requires a password (set password=, and user= for an ACL user)"
                : $"Redis at {at} refused the credentials{who} (check password= and user=)", e);
        }

        if (attempt.Stage == ConnectionAttemptStage.Tls || Find<AuthenticationException>(cause) is not null)
        {
            return new EngineException(FailureKind.Configuration,
                $"the TLS handshake with Redis at {at} failed ({Clean(endpoint, cause?.Message)}; check ssl= and sslHost=)", e);
        }

        if (Find<RedisServerException>(cause) is { } refused)
        {
            string reply = Clean(endpoint, refused.Message);
            return reply.StartsWith("NOPERM", StringComparison.Ordinal)
                ? new EngineException(FailureKind.Authentication, $"Redis at {at} refused the connection handshake: {reply} (the connection handshake needs ECHO)", e)
                : new EngineException(reply.StartsWith("LOADING", StringComparison.Ordinal) ? FailureKind.Unavailable : FailureKind.Failed,
                    $"Redis at {at} refused the connection handshake: {reply}", e);
        }

        if (cause?.Message is { } text && ProtocolPrefix().Match(text) is { Success: true } prefix)
        {
            int code = int.Parse(prefix.Groups[1].Value, CultureInfo.InvariantCulture);
            string what = code is >= 33 and < 127 ? $"unexpected RESP reply type '{(char)code}'" : $"unexpected RESP reply byte 0x{code:x2}";
            return NotRedis(endpoint, what, e);
        }

        return new EngineException(FailureKind.Unavailable, $"cannot connect to Redis at {at}: {attempt.FailureType} ({Clean(endpoint, cause?.Message)})", e);
    }

    /// <summary>The message for a server that answers, but not in RESP (the replication reader uses it too).</summary>
    internal static EngineException NotRedis(RedisEndpoint endpoint, string detail, Exception? inner) =>
        new(FailureKind.Failed, $"{endpoint.Address} does not answer like a Redis server ({detail}); check the host and port", inner);

    [GeneratedRegex(@"protocol prefix: (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex ProtocolPrefix();

    /// <summary>Whether <paramref name="e"/> is a StackExchange.Redis failure that <see cref="Translate"/> describes.</summary>
    public static bool IsRedisFailure(Exception e) => e is RedisException or RedisTimeoutException or RedisCommandException;

    /// <summary>A StackExchange.Redis failure after connecting, as one line that names host:port and what was being done.</summary>
    public static EngineException Translate(RedisEndpoint endpoint, Exception e, string doing)
    {
        string at = endpoint.Address;
        return e switch
        {
            RedisServerException server when Clean(endpoint, server.Message) is var reply && reply.StartsWith("NOPERM", StringComparison.Ordinal) =>
                new EngineException(FailureKind.Authentication, $"Redis at {at} refused a command while {doing}: {reply} (grant it to the user, or use another)", e),
            RedisServerException server => new EngineException(FailureKind.Failed, $"Redis at {at} failed while {doing}: {Clean(endpoint, server.Message)}", e),
            RedisTimeoutException => new EngineException(FailureKind.Unavailable, $"Redis at {at} did not answer in time while {doing} (is it overloaded?)", e),
            RedisConnectionException connection => new EngineException(FailureKind.Unavailable,
                $"lost the connection to Redis at {at} while {doing} ({connection.FailureType})", e),
            _ => new EngineException(FailureKind.Failed, $"Redis at {at}: {Clean(endpoint, e.Message)} (while {doing})", e),
        };
    }

    /// <summary>First line of a message, without StackExchange.Redis's "SimpleError: " tag, and never the password.</summary>
    internal static string Clean(RedisEndpoint endpoint, string? message)
    {
        string line = (message ?? "no detail").Split('\n', 2)[0].Trim();
        line = line.StartsWith("SimpleError: ", StringComparison.Ordinal) ? line["SimpleError: ".Length..] : line;
        return endpoint.Password is { Length: > 0 } password ? line.Replace(password, "***", StringComparison.Ordinal) : line;
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>INFO &lt;section&gt; as name → value.</summary>
    public async Task<Dictionary<string, string>> InfoAsync(string section)
    {
        string text = await Server.InfoRawAsync(section) ?? "";
        return text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#' && l.Contains(':', StringComparison.Ordinal))
            .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }

    /// <summary>Databases that hold keys, from INFO keyspace ("db0:keys=3,expires=0,...").</summary>
    public async Task<IReadOnlyList<int>> DatabasesAsync() =>
        (await InfoAsync("keyspace")).Keys
            .Where(k => k.StartsWith("db", StringComparison.Ordinal))
            .Select(k => int.Parse(k.AsSpan(2), CultureInfo.InvariantCulture))
            .Order()
            .ToList();

    /// <summary>
    /// How many databases the server has: <c>CONFIG GET databases</c>, or, when CONFIG is refused (an ACL user, a
    /// managed service, CONFIG renamed away), probed with <c>SELECT</c> on a connection of its own. Without CONFIG,
    /// StackExchange.Redis does not know the count either, and it ignores a refused SELECT: a command for a database
    /// that does not exist would run in the one selected before. Probing on this connection would confuse its own
    /// record of the selected database, hence the separate one. When SELECT is refused as well: a one-line
    /// <see cref="EngineException"/> naming both refusals.
    /// </summary>
    public async Task<int> DatabaseCountAsync(CancellationToken cancellationToken)
    {
        string config;
        try
        {
            var reply = await Server.ConfigGetAsync("databases");
            if (reply is [var pair] && int.TryParse(pair.Value, CultureInfo.InvariantCulture, out int n) && n > 0)
            {
                return n;
            }

            config = "no number";
        }
        catch (RedisServerException e)
        {
            config = Clean(Endpoint, e.Message);
        }

        await using var probe = await ConnectAsync(Endpoint, cancellationToken);
        return await probe.ProbeDatabaseCountAsync(config, cancellationToken);
    }

    /// <summary>Probing stops here: a server with more databases is treated as having this many.</summary>
    private const int MaxProbedDatabases = 1 << 16;

    /// <summary>The first database index SELECT refuses: 16, 32, 64, ... until one is refused, then a binary search.</summary>
    private async Task<int> ProbeDatabaseCountAsync(string configRefusal, CancellationToken cancellationToken)
    {
        int exist = 1; // indexes below it exist (db 0 always does)
        int missing = -1;
        for (int step = 16; missing < 0; step *= 2)
        {
            if (step > MaxProbedDatabases)
            {
                return MaxProbedDatabases;
            }

            if (await SelectsAsync(step - 1, configRefusal, cancellationToken))
            {
                exist = step;
            }
            else
            {
                missing = step - 1;
            }
        }

        while (exist < missing)
        {
            int middle = exist + ((missing - exist) / 2);
            if (await SelectsAsync(middle, configRefusal, cancellationToken))
            {
                exist = middle + 1;
            }
            else
            {
                missing = middle;
            }
        }

        return exist;
    }

    /// <summary>
    /// Whether SELECT accepts the index. Any refusal but NOPERM means no (out of range; cluster mode allows db 0 only),
    /// which errs on the safe side: a database taken as missing is never written to.
    /// </summary>
    private async Task<bool> SelectsAsync(int db, string configRefusal, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await Database(0).ExecuteAsync("SELECT", db);
            return true;
        }
        catch (RedisServerException e) when (Clean(Endpoint, e.Message) is var reply && reply.StartsWith("NOPERM", StringComparison.Ordinal))
        {
            throw new EngineException(FailureKind.Authentication,
                $"Redis at {Endpoint.Address} refused both CONFIG GET databases ({configRefusal}) and SELECT ({reply}), so which databases exist is unknown (grant the user +config|get or +select)", e);
        }
        catch (RedisServerException)
        {
            return false;
        }
    }

    /// <summary>The server's clock in Unix milliseconds (TIME).</summary>
    public async Task<long> ServerMillisecondsAsync() => new DateTimeOffset(await Server.TimeAsync(), TimeSpan.Zero).ToUnixTimeMilliseconds();

    public ValueTask DisposeAsync() => _multiplexer.DisposeAsync();
}
