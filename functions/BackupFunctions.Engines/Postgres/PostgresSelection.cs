using System.Text;
using BackupFunctions.Engines.Tools;
using Npgsql;

namespace BackupFunctions.Engines.Postgres;

/// <summary>
/// Selective restore (pg_restore's own --table, --schema, --schema-only; --data-only). The selection is first
/// restored into the staging database, checksums included, as a whole restore is. Into a new or empty database
/// it is then swapped in as usual. Into a database that holds objects, what the staging database holds is copied
/// over in one transaction (pg_dump of the staging database into psql --single-transaction): refused without
/// replace when any of those objects exists there (for --data-only: when any of those tables has rows), and with
/// replace those objects alone are dropped (truncated) and restored in that same transaction. See README.md.
/// </summary>
internal static class PostgresSelection
{
    public static IReadOnlyList<RestoreFilter> Filters { get; } = [RestoreFilter.Table, RestoreFilter.Schema, RestoreFilter.SchemaOnly, RestoreFilter.DataOnly];

    /// <summary>pg_restore's filters for the staging database; --data-only is applied when copying, since the staging database needs the tables.</summary>
    public static IEnumerable<string> StagingArguments(RestoreSelection selection) =>
        (selection.Tables ?? []).Select(t => $"--table={t}")
            .Concat((selection.Schemas ?? []).Select(s => $"--schema={s}"))
            .Concat(selection.SchemaOnly ? ["--schema-only"] : []);

    /// <summary>pg_restore --schema restores the schema's objects but not the schema itself: create it first.</summary>
    public static async Task PrepareStagingAsync(PostgresConnection staging, RestoreSelection selection, CancellationToken cancellationToken)
    {
        if (selection.Schemas is not { Count: > 0 } schemas)
        {
            return;
        }

        await using var conn = await staging.OpenAsync(cancellationToken);
        foreach (string schema in schemas)
        {
            await PostgresEngine.Execute(conn, $"CREATE SCHEMA IF NOT EXISTS {PostgresEngine.Quote(schema)}", cancellationToken);
        }

        NpgsqlConnection.ClearPool(conn); // a pooled connection would keep the staging database from being renamed
    }

    /// <summary>The backup's row counts of the tables the selection restores (none for --schema-only); large objects are never selected.</summary>
    public static SourceStats Expected(SourceStats backup, RestoreSelection selection)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, rows) in backup.Counts)
        {
            int dot = key.IndexOf('.', StringComparison.Ordinal);
            if (key == PostgresStats.LargeObjectsKey || dot < 0)
            {
                continue;
            }

            bool inSchema = selection.Schemas is not { Count: > 0 } schemas || schemas.Contains(key[..dot], StringComparer.Ordinal);
            bool isTable = selection.Tables is not { Count: > 0 } tables || tables.Contains(key[(dot + 1)..], StringComparer.Ordinal);
            if (inSchema && isTable)
            {
                counts[key] = selection.SchemaOnly ? 0 : rows;
            }
        }

        return new SourceStats(backup.Kind, counts, null);
    }

    private const string RelationsSql = """
        SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
        ORDER BY 1, 2
        """;

    /// <summary>
    /// Copies what the staging database holds into the existing destination in one transaction; refuses (nothing
    /// changed) when that would overwrite an object without <paramref name="replace"/>, naming the objects.
    /// </summary>
    public static async Task CopyIntoAsync(PostgresConnection staging, PostgresConnection dest, RestoreSelection selection, bool replace,
        string? toolsDirectory, CancellationToken cancellationToken)
    {
        var relations = new List<(string Schema, string Name, char Kind)>();
        await using (var conn = await staging.OpenAsync(cancellationToken))
        await using (var cmd = new NpgsqlCommand(RelationsSql, conn))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                relations.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)[0]));
            }

            NpgsqlConnection.ClearPool(conn);
        }

        if (relations.Count == 0)
        {
            throw new EngineException(FailureKind.NotFound,
                $"the selection ({Describe(selection)}) matches nothing in the backup (pg_restore --table takes a table name without its schema; add --schema for a table outside public)");
        }

        var tables = selection.DataOnly ? relations.Where(r => r.Kind == 'r').ToList() : relations;
        var (present, withRows) = await ExistingAsync(dest, tables, cancellationToken);
        string database = dest.Database!;
        if (selection.DataOnly && tables.Where(t => !present.Contains(Key(t))).Select(Key).ToList() is { Count: > 0 } missing)
        {
            throw new EngineException(FailureKind.NotFound,
                $"--data-only restores rows into existing tables, and database '{database}' has no {List(missing)} (restore without --data-only to create them)");
        }

        var conflicts = selection.DataOnly ? withRows : present.Order(StringComparer.Ordinal).ToList();
        if (conflicts.Count > 0 && !replace)
        {
            string what = selection.DataOnly ? "already hold rows" : "already exist";
            throw new EngineException(FailureKind.Refused,
                $"{List(conflicts)} {what} in database '{database}' on {dest.Host}:{dest.Port}; pass --replace to replace {(conflicts.Count == 1 ? "it" : "them")} (in one transaction, after a safety backup), or restore into another database");
        }

        var preamble = new StringBuilder("SET client_min_messages = warning;\n");
        foreach (string schema in relations.Select(r => r.Schema).Distinct(StringComparer.Ordinal))
        {
            preamble.Append("CREATE SCHEMA IF NOT EXISTS ").Append(PostgresEngine.Quote(schema)).Append(";\n");
        }

        if (selection.DataOnly && conflicts.Count > 0)
        {
            preamble.Append("TRUNCATE ").AppendJoin(", ", tables.Where(t => conflicts.Contains(Key(t))).Select(Quoted)).Append(";\n");
        }

        var dumpArgs = new List<string> { "--format=plain", "--no-password" };
        dumpArgs.AddRange(selection.SchemaOnly ? ["--schema-only"] : selection.DataOnly ? ["--data-only"] : []);
        if (replace && !selection.DataOnly && conflicts.Count > 0)
        {
            dumpArgs.AddRange(["--clean", "--if-exists"]);
        }

        dumpArgs.AddRange(relations.Select(r => $"--table={Quoted(r)}"));
        await PipeAsync(staging, dest, dumpArgs, preamble.ToString(), toolsDirectory, cancellationToken);
    }

    /// <summary>pg_dump of the staging database into psql on the destination, one transaction, stopping at the first error.</summary>
    private static async Task PipeAsync(PostgresConnection staging, PostgresConnection dest, List<string> dumpArgs, string preamble, string? toolsDirectory,
        CancellationToken cancellationToken)
    {
        await using var psql = ToolProcess.Start("psql", toolsDirectory, ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--no-password"],
            dest.ToolEnvironment(), redirectInput: true, cancellationToken);
        await using var dump = ToolProcess.Start("pg_dump", toolsDirectory, dumpArgs, staging.ToolEnvironment(), redirectInput: false, cancellationToken);
        var drain = PostgresEngine.ReadAllAsync(psql.StandardOutput, cancellationToken);
        await PostgresEngine.OnDedicatedThread(() =>
        {
            try
            {
                psql.StandardInput.Write(Encoding.UTF8.GetBytes(preamble));
                dump.StandardOutput.CopyTo(psql.StandardInput, 256 * 1024);
            }
            catch (IOException)
            {
                // psql stopped reading: its exit code says why.
            }
            finally
            {
                try
                {
                    psql.StandardInput.Dispose();
                }
                catch (IOException)
                {
                    // Closing a pipe whose reader is gone.
                }
            }
        }, cancellationToken);
        int dumped = await dump.WaitAsync(cancellationToken);
        int applied = await psql.WaitAsync(cancellationToken);
        await drain;
        cancellationToken.ThrowIfCancellationRequested();
        if (dumped != 0 || applied != 0)
        {
            string why = applied != 0 ? PostgresEngine.Summarise(psql.Stderr) : PostgresEngine.Summarise(dump.Stderr);
            throw new EngineException(FailureKind.Failed,
                $"copying the selection into {dest.Description} failed, nothing changed there (rolled back): {dest.Redact(why)}");
        }
    }

    /// <summary>Which of <paramref name="relations"/> exist in the destination, and which of those tables hold rows.</summary>
    private static async Task<(HashSet<string> Present, List<string> WithRows)> ExistingAsync(PostgresConnection dest, List<(string Schema, string Name, char Kind)> relations,
        CancellationToken cancellationToken)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        var withRows = new List<string>();
        await using var conn = await dest.OpenAsync(cancellationToken);
        foreach (var r in relations)
        {
            await using var cmd = new NpgsqlCommand("SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @s AND c.relname = @r", conn);
            cmd.Parameters.AddWithValue("s", r.Schema);
            cmd.Parameters.AddWithValue("r", r.Name);
            if (await cmd.ExecuteScalarAsync(cancellationToken) is not string kind)
            {
                continue;
            }

            present.Add(Key(r));
            if (kind == "r" && (bool)(await PostgresEngine.Scalar(conn, $"SELECT EXISTS (SELECT 1 FROM {Quoted(r)})", cancellationToken))!)
            {
                withRows.Add(Key(r));
            }
        }

        return (present, withRows);
    }

    private static string Key((string Schema, string Name, char Kind) r) => $"{r.Schema}.{r.Name}";

    private static string Quoted((string Schema, string Name, char Kind) r) => $"{PostgresEngine.Quote(r.Schema)}.{PostgresEngine.Quote(r.Name)}";

    private static string List(List<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");

    /// <summary>The selection as the CLI options that gave it.</summary>
    public static string Describe(RestoreSelection selection) =>
        string.Join(" ", (selection.Tables ?? []).Select(t => $"--table {t}").Concat((selection.Schemas ?? []).Select(s => $"--schema {s}"))
            .Concat(selection.SchemaOnly ? ["--schema-only"] : []).Concat(selection.DataOnly ? ["--data-only"] : []));
}
