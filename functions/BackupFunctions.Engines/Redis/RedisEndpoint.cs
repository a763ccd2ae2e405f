using System.Net;
using StackExchange.Redis;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// A Redis connection string, parsed by StackExchange.Redis (<see cref="ConfigurationOptions.Parse(string)"/>), the one parser
/// for both the StackExchange.Redis connections and the replication reader:
/// <c>host:port[,host:port],password=...,user=...,ssl=true,sslHost=...,defaultDatabase=N,connectTimeout=ms</c> and every
/// other keyword StackExchange.Redis knows. Only the first endpoint is used (a backup reads one server). Its mistakes become
/// one-line <see cref="FailureKind.Configuration"/> errors that name the problem and never the password.
/// </summary>
public sealed class RedisEndpoint
{
    private readonly ConfigurationOptions _options;

    private RedisEndpoint(ConfigurationOptions options, string host, int port)
    {
        _options = options;
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }

    public string? User => _options.User;

    public string? Password => _options.Password;

    public bool Ssl => _options.Ssl;

    public string? SslHost => _options.SslHost;

    /// <summary>defaultDatabase= (0 when absent).</summary>
    public int Database => _options.DefaultDatabase ?? 0;

    public TimeSpan ConnectTimeout => TimeSpan.FromMilliseconds(_options.ConnectTimeout);

    /// <summary>host:port/db, never credentials.</summary>
    public string Description => $"{Host}:{Port}/{Database}";

    /// <summary>host:port, for messages.</summary>
    public string Address => $"{Host}:{Port}";

    /// <summary>A copy of the parsed options (first endpoint only, default port filled in): callers may change it.</summary>
    internal ConfigurationOptions Options => _options.Clone();

    public static RedisEndpoint Parse(string connection)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw Bad("the Redis connection string is empty (e.g. 127.0.0.1:6379,password=...)");
        }

        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connection);
        }
        catch (ArgumentException e)
        {
            throw Translate(e, connection);
        }

        // StackExchange.Redis drops an endpoint it cannot read (e.g. "host:notaport") without a word.
        foreach (string token in Tokens(connection).Where(t => !t.Contains('=', StringComparison.Ordinal)))
        {
            if (!TryParseEndPoint(token))
            {
                throw Bad($"'{token}' has no valid port (use host:port, e.g. 127.0.0.1:6379)");
            }
        }

        if (options.EndPoints.Count == 0)
        {
            throw Bad("the Redis connection string names no host (start it with host:port)");
        }

        if (options.DefaultDatabase is < 0 or > 15_999)
        {
            throw Bad($"defaultDatabase={options.DefaultDatabase} is not a number between 0 and 15999");
        }

        if (options.ConnectTimeout is < 1 or > 600_000)
        {
            throw Bad($"connectTimeout={options.ConnectTimeout} is not a number between 1 and 600000");
        }

        if (options.ServiceName is not null || options.Proxy != Proxy.None || options.Tunnel is not null)
        {
            throw Bad("serviceName=, proxy= and tunnel= are not supported for backups: name the Redis server itself (host:port)");
        }

        options.SetDefaultPorts(); // "host" alone: 6379, or 6380 with ssl=true (StackExchange.Redis's defaults)
        var first = options.EndPoints[0];
        options.EndPoints.Clear();
        options.EndPoints.Add(first);
        options.ConnectTimeout = options.ConnectTimeout; // pin it: it would otherwise follow syncTimeout, which connections raise
        var (host, port) = first switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw Bad($"the Redis endpoint '{first}' is neither host:port nor address:port"),
        };
        return new RedisEndpoint(options, host, port);
    }

    private static string[] Tokens(string connection) =>
        connection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool TryParseEndPoint(string token)
    {
        try
        {
            return ConfigurationOptions.Parse(token).EndPoints.Count == 1;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>StackExchange.Redis's parse errors, as one line naming the keyword (and never the value of password=).</summary>
    private static EngineException Translate(ArgumentException e, string connection)
    {
        string keyword = e.ParamName ?? "?";
        string? value = Tokens(connection)
            .Select(t => t.Split('=', 2))
            .Where(p => p.Length == 2 && string.Equals(p[0].Trim(), keyword, StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim())
            .LastOrDefault();
        bool secret = keyword.Contains("password", StringComparison.OrdinalIgnoreCase);
        string shown = $"{keyword}={(secret ? "..." : value)}";
        string message = e.Message;
        return message.Contains("is not supported", StringComparison.Ordinal) ? Bad($"the Redis connection string has an unknown keyword '{keyword}' (see the StackExchange.Redis configuration keywords, e.g. password, user, ssl, sslHost, defaultDatabase, connectTimeout)")
            : message.Contains("requires a boolean", StringComparison.OrdinalIgnoreCase) ? Bad($"{shown} is not true or false")
            : message.Contains("requires an integer", StringComparison.OrdinalIgnoreCase) ? Bad($"{shown} is not a number")
            : e.ParamName == "port" ? Bad($"the Redis connection string has a port out of range ({FirstLine(message)})")
            : Bad($"the Redis connection string is not valid: {(secret ? $"{keyword}= is not valid" : FirstLine(message))}");
    }

    private static string FirstLine(string text)
    {
        string line = text.Split('\n', 2)[0].Trim();
        int parameter = line.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter > 0 ? line[..parameter] : line;
    }

    private static EngineException Bad(string message) => new(FailureKind.Configuration, message);

    /// <summary>Never prints the password.</summary>
    public override string ToString() => Description;
}
