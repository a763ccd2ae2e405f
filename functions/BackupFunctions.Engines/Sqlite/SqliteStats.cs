using Microsoft.Data.Sqlite;

namespace BackupFunctions.Engines.Sqlite;

/// <summary>
/// Rows per table of a SQLite database, and its <c>PRAGMA integrity_check</c>. Tables are the ordinary
/// ones of <c>sqlite_schema</c>, SQLite's own (<c>sqlite_sequence</c>, <c>sqlite_stat1</c>) and virtual
/// tables left out: a virtual table's rows live in its shadow tables, which are counted, and counting it
/// would need its module.
/// </summary>
internal static class SqliteStats
{
    public const string Kind = "rowsPerTable";

    /// <summary>Counts in one read transaction, so they describe one state of the database.</summary>
    public static async Task<SourceStats> ReadAsync(SqliteConnection connection, long? sizeBytes, CancellationToken cancellationToken)
    {
        await using var tx = connection.BeginTransaction(deferred: true);
        var tables = new List<string>();
        await using (var list = Command(connection, tx,
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string table in tables)
        {
            await using var count = Command(connection, tx, $"SELECT count(*) FROM {Quote(table)}");
            counts[table] = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        await tx.CommitAsync(cancellationToken);
        return new SourceStats(Kind, counts, sizeBytes);
    }

    /// <summary>"ok", or the first problems <c>PRAGMA integrity_check</c> reports, on one line.</summary>
    public static async Task<string> IntegrityCheckAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var check = Command(connection, null, "PRAGMA integrity_check(20)");
        await using var reader = await check.ExecuteReaderAsync(cancellationToken);
        var lines = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join(" | ", lines);
    }

    /// <summary>The library's SQLite version, e.g. "3.53.4".</summary>
    public static async Task<string> VersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var version = Command(connection, null, "SELECT sqlite_version()");
        return (string)(await version.ExecuteScalarAsync(cancellationToken))!;
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql) =>
        new(sql, connection, tx);
}
