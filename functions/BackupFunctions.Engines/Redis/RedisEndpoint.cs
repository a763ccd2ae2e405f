using System.Globalization;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// A Redis connection string in the StackExchange.Redis configuration format that .NET users know:
/// <c>host:port[,host:port],password=...,user=...,ssl=true,sslHost=...,defaultDatabase=N,connectTimeout=ms</c>.
/// Only the first endpoint is used (a backup reads one server). Unknown keywords are errors.
/// </summary>
public sealed record RedisEndpoint(string Host, int Port, string? User, string? Password, bool Ssl, string? SslHost, int Database, TimeSpan ConnectTimeout)
{
    /// <summary>host:port/db, never credentials.</summary>
    public string Description => $"{Host}:{Port}/{Database}";

    public static RedisEndpoint Parse(string connection)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw Bad("the Redis connection string is empty (e.g. 127.0.0.1:6379,password=...)");
        }

        string? host = null;
        int port = 6379;
        string? user = null, password = null, sslHost = null;
        bool ssl = false;
        int database = 0;
        var timeout = TimeSpan.FromSeconds(5);
        foreach (string raw in connection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                if (host is null)
                {
                    (host, port) = ParseEndpoint(raw);
                }

                continue;
            }

            string name = raw[..eq].Trim(); // as the user wrote it, for messages
            string value = raw[(eq + 1)..].Trim();
            switch (name.ToLowerInvariant())
            {
                case "password": password = value; break;
                case "user": user = value; break;
                case "ssl": ssl = ParseBool(name, value); break;
                case "sslhost": sslHost = value; break;
                case "defaultdatabase": database = ParseInt(name, value, 0, 15_999); break;
                case "connecttimeout": timeout = TimeSpan.FromMilliseconds(ParseInt(name, value, 1, 600_000)); break;
                case "synctimeout" or "asynctimeout" or "abortconnect" or "allowadmin" or "name" or "connectretry" or "keepalive": break;
                default:
                    throw Bad($"the Redis connection string has an unknown keyword '{name}' (supported: password, user, ssl, sslHost, defaultDatabase, connectTimeout)");
            }
        }

        return host is null
            ? throw Bad("the Redis connection string names no host (start it with host:port)")
            : new RedisEndpoint(host, port, user, password, ssl, sslHost, database, timeout);
    }

    private static (string Host, int Port) ParseEndpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || text.StartsWith('[') && !text[..colon].EndsWith(']'))
        {
            return (text.Trim('[', ']'), 6379);
        }

        string port = text[(colon + 1)..];
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and < 65536
            ? (text[..colon].Trim('[', ']'), p)
            : throw Bad($"'{text}' has no valid port (use host:port, e.g. 127.0.0.1:6379)");
    }

    private static bool ParseBool(string key, string value) => bool.TryParse(value, out bool b) ? b : throw Bad($"{key}={value} is not true or false");

    private static int ParseInt(string key, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw Bad($"{key}={value} is not a number between {min} and {max}");

    private static EngineException Bad(string message) => new(FailureKind.Configuration, message);

    /// <summary>Never prints the password.</summary>
    public override string ToString() => Description;
}
