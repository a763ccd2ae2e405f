using Npgsql;

namespace BackupFunctions.Engines.Postgres;

/// <summary>
/// Per-table row counts of the tables whose data pg_dump writes (ordinary tables and partitions in
/// user schemas, not extension members), plus the number of large objects.
/// </summary>
internal static class PostgresStats
{
    public const string Kind = "rowsPerTable";

    /// <summary>Key under which the large object count is recorded.</summary>
    public const string LargeObjectsKey = "(large objects)";

    private const string TablesSql = """
        SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2
        """;

    /// <summary>Counts rows on <paramref name="conn"/>, inside whatever transaction/snapshot it is in.</summary>
    public static async Task<SourceStats> ReadAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        var tables = new List<(string Key, string Quoted)>();
        await using (var cmd = new NpgsqlCommand(TablesSql, conn))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(($"{reader.GetString(0)}.{reader.GetString(1)}", reader.GetString(2)));
            }
        }

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, quoted) in tables)
        {
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {quoted}", conn);
            counts[key] = (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        }

        await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_largeobject_metadata", conn))
        {
            counts[LargeObjectsKey] = (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        }

        await using var size = new NpgsqlCommand("SELECT pg_database_size(current_database())", conn);
        long bytes = (long)(await size.ExecuteScalarAsync(cancellationToken))!;
        return new SourceStats(Kind, counts, bytes);
    }

    /// <summary>True when the database holds any user object: a relation, routine or type in a user schema, a user schema, or a large object.</summary>
    public static async Task<bool> HasUserObjectsAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%')
                OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%')
                OR EXISTS (SELECT 1 FROM pg_namespace n
                           WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%')
                OR EXISTS (SELECT 1 FROM pg_largeobject_metadata)
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }
}
