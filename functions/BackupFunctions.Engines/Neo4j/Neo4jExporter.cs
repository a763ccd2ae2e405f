using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// Writes the export (<see cref="Neo4jExportFormat"/>) page by page with constant memory. It is not a
/// point-in-time snapshot, so the counts are taken at the start and the end and a difference becomes
/// a manifest warning.
/// </summary>
internal static class Neo4jExporter
{
    private const int PageSize = 1000;

    public static async Task<DumpResult> ExportAsync(Neo4jConnection target, Neo4jHttpClient client, Stream destination, CancellationToken cancellationToken)
    {
        var before = await Neo4jGuard.RunAsync(target, () => Neo4jCounts.ReadAsync(client, cancellationToken));
        string version = await Neo4jGuard.RunAsync(target, () => VersionAsync(client, cancellationToken));
        var exported = new Neo4jCounts();
        var writer = Neo4jExportFormat.Writer(destination);
        await using (writer)
        {
            await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Header(client.Api, client.Fidelity));
            await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Section(Neo4jExportFormat.Schema));
            foreach (string statement in await Neo4jGuard.RunAsync(target, () => SchemaAsync(client, cancellationToken)))
            {
                await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Statement(statement));
            }

            await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Section(Neo4jExportFormat.Nodes));
            await Neo4jGuard.RunAsync(target, () => PageAsync(client, Neo4jStatements.NodesPage, async (result, row) =>
            {
                var labels = Neo4jTyped.AsList(result.Get(row, "labels")).Select(l => Neo4jTyped.AsString(l)).ToList();
                exported.Node(labels);
                await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Node(
                    Neo4jTyped.AsString(result.Get(row, "id")),
                    labels,
                    Neo4jTyped.AsMap(result.Get(row, "properties")).DeepClone()));
            }, cancellationToken));

            await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Section(Neo4jExportFormat.Relationships));
            await Neo4jGuard.RunAsync(target, () => PageAsync(client, Neo4jStatements.RelationshipsPage, async (result, row) =>
            {
                string type = Neo4jTyped.AsString(result.Get(row, "type"));
                exported.Relationship(type);
                await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.Relationship(
                    Neo4jTyped.AsString(result.Get(row, "id")),
                    type,
                    Neo4jTyped.AsString(result.Get(row, "start")),
                    Neo4jTyped.AsString(result.Get(row, "end")),
                    Neo4jTyped.AsMap(result.Get(row, "properties")).DeepClone()));
            }, cancellationToken));

            await Neo4jExportFormat.WriteLineAsync(writer, Neo4jExportFormat.End(exported.Nodes, exported.Relationships));
        }

        var after = await Neo4jGuard.RunAsync(target, () => Neo4jCounts.ReadAsync(client, cancellationToken));
        var warnings = new List<string>();
        if (!Same(before.ToDictionary(), after.ToDictionary()))
        {
            warnings.Add($"the graph changed during the export (not a snapshot): {before.Nodes} nodes and {before.Relationships} relationships at the start, "
                + $"{after.Nodes} and {after.Relationships} at the end; the export holds {exported.Nodes} and {exported.Relationships}");
        }

        if (client.Api == "tx/commit")
        {
            warnings.Add($"exported through tx/commit (the Query API is not enabled): {client.Fidelity}");
        }

        return new DumpResult(version, "backupfn-neo4j-http", $"{client.Api}; {client.Fidelity}", Neo4jExportFormat.Name,
            new SourceStats(Neo4jEngine.StatsKind, exported.ToDictionary(), null), warnings);
    }

    /// <summary>Keyset pages on element id: each page starts after the last id of the previous one.</summary>
    private static async Task PageAsync(Neo4jHttpClient client, string statement, Func<Neo4jResult, JsonArray, Task> each, CancellationToken cancellationToken)
    {
        string after = "";
        while (true)
        {
            var page = await client.RunAsync(statement, new JsonObject { ["after"] = Neo4jTyped.Text(after), ["limit"] = Neo4jTyped.Whole(PageSize) }, cancellationToken);
            foreach (var row in page.Rows)
            {
                await each(page, row);
            }

            if (page.Rows.Count < PageSize)
            {
                return;
            }

            after = Neo4jTyped.AsString(page.Get(page.Rows[^1], "id"));
        }
    }

    private static async Task<string> VersionAsync(Neo4jHttpClient client, CancellationToken cancellationToken)
    {
        try
        {
            var rows = (await client.RunAsync(Neo4jStatements.Version, null, cancellationToken)).Rows;
            var row = rows.Count > 0 ? rows[0] : null;
            return row is null ? "unknown" : $"{Neo4jTyped.AsString(row[0])} {Neo4jTyped.AsString(row[1])}";
        }
        catch (Neo4jQueryException)
        {
            return "unknown"; // Aura and restricted users may not call dbms.components()
        }
    }

    private static async Task<List<string>> SchemaAsync(Neo4jHttpClient client, CancellationToken cancellationToken)
    {
        var statements = new List<string>();
        foreach (string query in new[] { Neo4jStatements.Constraints, Neo4jStatements.Indexes })
        {
            var result = await client.RunAsync(query, null, cancellationToken);
            statements.AddRange(result.Rows.Select(r => Neo4jTyped.AsString(result.Get(r, "createStatement"))));
        }

        return statements;
    }

    private static bool Same(SortedDictionary<string, long> a, SortedDictionary<string, long> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out long v) && v == p.Value);
}
