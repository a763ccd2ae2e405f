using Microsoft.Data.Sqlite;

namespace BackupFunctions.Engines.Sqlite;

/// <summary>
/// A SQLite database file named by a Microsoft.Data.Sqlite connection string (<c>Data Source=/path/app.db</c>).
/// Only the file's path is taken from it: every connection this engine opens is built here, without pooling
/// (a pooled connection would keep a temporary or replaced file open) and, for a source, read-only (a missing
/// source is an error, never a new empty database). <c>Password=</c> is refused: the bundled SQLite (e_sqlite3)
/// cannot open encrypted databases.
/// </summary>
public sealed record SqliteFile(string Path, int TimeoutSeconds)
{
    /// <summary>The absolute path of the file: no secret can be in it (a password is refused).</summary>
    public string Description => Path;

    public static SqliteFile Parse(string connection)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw Bad("the SQLite connection is empty (e.g. Data Source=/var/lib/app/app.db)");
        }

        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connection);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The builder's messages name a keyword or an index, never a value.
            throw Bad($"the SQLite connection string is not valid: {e.Message} (e.g. Data Source=/var/lib/app/app.db)");
        }

        if (!string.IsNullOrEmpty(builder.Password))
        {
            throw Bad($"the SQLite connection for {Describe(builder.DataSource)} has Password=, but this build's SQLite (e_sqlite3) cannot open encrypted databases (remove Password=; SQLCipher databases are not supported)");
        }

        string source = builder.DataSource.Trim();
        if (source.Length == 0 || source == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw Bad("the SQLite connection names no database file (set Data Source=/path/app.db; in-memory databases cannot be backed up)");
        }

        if (source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            throw Bad("the SQLite connection's Data Source is a file: URI (give a plain path, e.g. Data Source=/var/lib/app/app.db)");
        }

        return new SqliteFile(System.IO.Path.GetFullPath(source), builder.DefaultTimeout);
    }

    /// <summary>Why <paramref name="connection"/> cannot be used (the message <see cref="Parse"/> would throw), or null: for configuration checks.</summary>
    public static string? Problem(string connection) => EngineException.MessageOf(() => Parse(connection));

    /// <summary>A file of this engine's own (a copy being checked), with the default timeout.</summary>
    public static SqliteFile At(string path) => new(System.IO.Path.GetFullPath(path), 30);

    /// <summary>Another file with the same settings (a staging or scratch file).</summary>
    public SqliteFile WithPath(string path) => this with { Path = path };

    /// <summary>The connection string of a file path, as a target's Connection takes it.</summary>
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder { DataSource = path }.ToString();

    /// <summary>
    /// Opens the file: <paramref name="readOnly"/> for a source (a missing file is NotFound, not created),
    /// read-write (never creating) otherwise.
    /// </summary>
    public Task<SqliteConnection> OpenAsync(bool readOnly, CancellationToken cancellationToken) => File.Exists(Path)
        ? ConnectAsync(readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite, "open", cancellationToken)
        : throw new EngineException(FailureKind.NotFound, $"SQLite database file {Path} does not exist (check the target's Data Source)");

    /// <summary>Creates and opens a new database file (a copy of this engine's own).</summary>
    public Task<SqliteConnection> CreateAsync(CancellationToken cancellationToken) =>
        ConnectAsync(SqliteOpenMode.ReadWriteCreate, "create", cancellationToken);

    private async Task<SqliteConnection> ConnectAsync(SqliteOpenMode mode, string what, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = TimeoutSeconds,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw Translate(e, what);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A one-line error for a SQLite failure while doing <paramref name="what"/> with this file.</summary>
    public EngineException Translate(SqliteException e, string what) => e.SqliteErrorCode switch
    {
        SQLitePCL.raw.SQLITE_NOTADB => new EngineException(FailureKind.Failed, $"{Path} is not a SQLite database (SQLite: {e.Message})", e),
        SQLitePCL.raw.SQLITE_CORRUPT => new EngineException(FailureKind.Failed, $"SQLite database {Path} is corrupt (SQLite: {e.Message}); run PRAGMA integrity_check on it", e),
        SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED => new EngineException(FailureKind.Unavailable,
            $"SQLite database {Path} stayed locked by another connection for {TimeoutSeconds} s (raise Default Timeout= in the connection, or retry)", e),
        SQLitePCL.raw.SQLITE_CANTOPEN or SQLitePCL.raw.SQLITE_PERM or SQLitePCL.raw.SQLITE_READONLY => new EngineException(FailureKind.Failed,
            $"cannot {what} SQLite database {Path} (SQLite: {e.Message}); check the file's and its folder's permissions", e),
        SQLitePCL.raw.SQLITE_FULL => new EngineException(FailureKind.Failed, $"the disk is full while trying to {what} {Path} (SQLite: {e.Message})", e),
        _ => new EngineException(FailureKind.Failed, $"SQLite failed to {what} {Path}: {e.Message}", e),
    };

    private static string Describe(string dataSource) =>
        string.IsNullOrWhiteSpace(dataSource) ? "(no Data Source)" : System.IO.Path.GetFullPath(dataSource.Trim());

    private static EngineException Bad(string message) => new(FailureKind.Configuration, message);

    public override string ToString() => Description;
}
