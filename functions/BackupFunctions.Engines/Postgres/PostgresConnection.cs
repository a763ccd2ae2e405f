using System.Net.Sockets;
using Npgsql;

namespace BackupFunctions.Engines.Postgres;

/// <summary>
/// A parsed Npgsql connection string: the redacted description, the libpq environment for
/// pg_dump/pg_restore (the password travels as PGPASSWORD, never as an argument), and the
/// translation of connection errors into one-line messages that name the fix.
/// </summary>
internal sealed class PostgresConnection
{
    private readonly NpgsqlConnectionStringBuilder _builder;

    private PostgresConnection(NpgsqlConnectionStringBuilder builder) => _builder = builder;

    public string Host => _builder.Host ?? "localhost";
    public int Port => _builder.Port;
    public string? Database => string.IsNullOrEmpty(_builder.Database) ? null : _builder.Database;
    public string? Username => _builder.Username;
    public string? Password => _builder.Password;
    public string ConnectionString => _builder.ConnectionString;

    /// <summary>host:port/database (no user, no password).</summary>
    public string Description => $"{Host}:{Port}/{Database ?? "(default database)"}";

    public static PostgresConnection Parse(string connection)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new EngineException(FailureKind.Configuration, "the PostgreSQL connection string is empty (set Connection, e.g. Host=127.0.0.1;Username=app;Password=...;Database=orders)");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connection);
            if (string.IsNullOrEmpty(builder.Host))
            {
                throw new EngineException(FailureKind.Configuration, "the PostgreSQL connection string has no Host (add Host=...)");
            }

            // Fail fast on a dead server instead of waiting the 15 s default per attempt.
            if (!connection.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
            {
                builder.Timeout = 10;
            }

            builder.ApplicationName ??= "backupfn";
            return new PostgresConnection(builder);
        }
        catch (ArgumentException e)
        {
            // Npgsql's message names the bad keyword but never echoes values.
            throw new EngineException(FailureKind.Configuration,
                $"the PostgreSQL connection string is malformed: {FirstLine(e.Message)} (use the Npgsql form Host=...;Port=...;Username=...;Password=...;Database=...)");
        }
    }

    /// <summary>The same server and credentials, another database.</summary>
    public PostgresConnection WithDatabase(string database)
    {
        var copy = new NpgsqlConnectionStringBuilder(_builder.ConnectionString) { Database = database };
        return new PostgresConnection(copy);
    }

    /// <summary>libpq environment for the command-line tools.</summary>
    public IReadOnlyDictionary<string, string?> ToolEnvironment() => new Dictionary<string, string?>
    {
        ["PGHOST"] = Host,
        ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PGUSER"] = Username,
        ["PGPASSWORD"] = Password,
        ["PGDATABASE"] = Database,
        ["PGSSLMODE"] = _builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        },
        ["PGCONNECT_TIMEOUT"] = "10",
        ["PGAPPNAME"] = "backupfn",
        ["PGPASSFILE"] = "/dev/null",
    };

    /// <summary>Opens a connection, turning every connection failure into an <see cref="EngineException"/>.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var conn = new NpgsqlConnection(_builder.ConnectionString);
        try
        {
            await conn.OpenAsync(cancellationToken);
            return conn;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await conn.DisposeAsync();
            throw Translate(e);
        }
    }

    /// <summary>True for the errors <see cref="Translate"/> knows: Npgsql, PostgreSQL, socket and timeout errors.</summary>
    public static bool IsConnectionError(Exception e) =>
        e is NpgsqlException or SocketException or TimeoutException;

    /// <summary>Maps Npgsql and socket errors to one-line messages; passwords never appear in them.</summary>
    public EngineException Translate(Exception e)
    {
        if (e is EngineException known)
        {
            return known;
        }

        var socket = Find<SocketException>(e);
        if (socket is not null)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new EngineException(FailureKind.Unavailable,
                    $"connection refused at {Host}:{Port} (is PostgreSQL running and listening there?)", e),
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new EngineException(FailureKind.Configuration,
                    $"host '{Host}' not found (check Host= in the connection string)", e),
                _ => new EngineException(FailureKind.Unavailable,
                    $"cannot reach {Host}:{Port}: {socket.SocketErrorCode} (check the network and that PostgreSQL is running)", e),
            };
        }

        if (Find<TimeoutException>(e) is not null)
        {
            return new EngineException(FailureKind.Unavailable, $"timed out connecting to {Host}:{Port} (is the server up and reachable?)", e);
        }

        if (Find<PostgresException>(e) is { } pg)
        {
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => new EngineException(FailureKind.Authentication,
                    $"authentication failed for user '{Username}' at {Host}:{Port} (check Username/Password, or the secret they come from)", e),
                PostgresErrorCodes.InvalidCatalogName => new EngineException(FailureKind.NotFound,
                    $"database '{Database}' does not exist on {Host}:{Port} (check Database= in the connection string)", e),
                PostgresErrorCodes.InsufficientPrivilege => new EngineException(FailureKind.Authentication,
                    $"permission denied for user '{Username}' on {Description}: {pg.MessageText} (grant the needed privileges or use another role)", e),
                PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown => new EngineException(FailureKind.Unavailable,
                    $"{Description} is not accepting connections now: {pg.MessageText}", e),
                _ => new EngineException(FailureKind.Failed, $"{Description}: {pg.MessageText} (SQLSTATE {pg.SqlState})", e),
            };
        }

        if (e is NpgsqlException npg)
        {
            return new EngineException(FailureKind.Unavailable, $"{Description}: {FirstLine(npg.Message)}", e);
        }

        return new EngineException(FailureKind.Failed, $"{Description}: {FirstLine(e.Message)}", e);
    }

    /// <summary>Removes this connection's password from tool output before it is shown anywhere.</summary>
    public string Redact(string text) =>
        string.IsNullOrEmpty(Password) ? text : text.Replace(Password, "***", StringComparison.Ordinal);

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T t)
            {
                return t;
            }
        }

        return null;
    }

    internal static string FirstLine(string text)
    {
        int nl = text.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? text : text[..nl]).Trim();
    }
}
