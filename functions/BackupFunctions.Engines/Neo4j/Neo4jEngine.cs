using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// Neo4j over its HTTP APIs (see <see cref="Neo4jHttpClient"/>). The export is JSON Lines, streamed
/// page by page with constant memory (format below); it is not a point-in-time snapshot, so the
/// counts are taken at the start and the end and a difference becomes a manifest warning.
/// <code>
/// {"format":"backupfn-neo4j-v1","api":"query/v2","fidelity":"..."}
/// {"section":"schema"}         then {"statement":"CREATE CONSTRAINT ..."} per constraint and index
/// {"section":"nodes"}          then {"id":"4:..:0","labels":["Person"],"properties":{typed JSON}}
/// {"section":"relationships"}  then {"id":"5:..","type":"KNOWS","start":"4:..:0","end":"4:..:1","properties":{...}}
/// {"end":{"nodes":N,"relationships":M}}
/// </code>
/// </summary>
public sealed class Neo4jEngine : IDatabaseEngine
{
    public const string Format = "backupfn-neo4j-v1";
    public const string StatsKind = "nodesAndRelationships";
    private const int PageSize = 1000;
    private const int BatchSize = 500;
    private const int SampleSize = 20;

    private readonly string? _database;
    private readonly HttpMessageHandler? _handler;

    /// <param name="database">The target's Database setting, used when the connection names none.</param>
    /// <param name="handler">HTTP handler (tests); null for the default.</param>
    public Neo4jEngine(string? database = null, HttpMessageHandler? handler = null)
    {
        _database = database;
        _handler = handler;
    }

    public string Name => "neo4j";

    public string DataExtension => "neo4j.jsonl";

    public string Describe(string connection) => Parse(connection).Description;

    private Neo4jConnection Parse(string connection) => Neo4jConnection.Parse(connection, _database);

    private Neo4jHttpClient Open(string connection) => new(Parse(connection), _handler);

    public Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken) => Task.FromResult<long?>(null);

    public async Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken)
    {
        var target = Parse(connection);
        using var client = Open(connection);
        var before = await Guard(target, () => CountsAsync(client, cancellationToken));
        string version = await Guard(target, () => VersionAsync(client, cancellationToken));
        var exported = new Counter();
        var writer = new StreamWriter(destination, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        await using (writer)
        {
            await WriteLineAsync(writer, new JsonObject { ["format"] = Format, ["api"] = client.Api, ["fidelity"] = client.Fidelity });
            await WriteLineAsync(writer, new JsonObject { ["section"] = "schema" });
            foreach (string statement in await Guard(target, () => SchemaAsync(client, cancellationToken)))
            {
                await WriteLineAsync(writer, new JsonObject { ["statement"] = statement });
            }

            await WriteLineAsync(writer, new JsonObject { ["section"] = "nodes" });
            await Guard(target, () => PageAsync(client, Neo4jStatements.NodesPage, async (result, row) =>
            {
                var labels = Neo4jTyped.AsList(result.Get(row, "labels")).Select(l => Neo4jTyped.AsString(l)).ToList();
                exported.Node(labels);
                await WriteLineAsync(writer, new JsonObject
                {
                    ["id"] = Neo4jTyped.AsString(result.Get(row, "id")),
                    ["labels"] = new JsonArray(labels.Select(l => (JsonNode?)l).ToArray()),
                    ["properties"] = Neo4jTyped.AsMap(result.Get(row, "properties")).DeepClone(),
                });
            }, cancellationToken));

            await WriteLineAsync(writer, new JsonObject { ["section"] = "relationships" });
            await Guard(target, () => PageAsync(client, Neo4jStatements.RelationshipsPage, async (result, row) =>
            {
                string type = Neo4jTyped.AsString(result.Get(row, "type"));
                exported.Relationship(type);
                await WriteLineAsync(writer, new JsonObject
                {
                    ["id"] = Neo4jTyped.AsString(result.Get(row, "id")),
                    ["type"] = type,
                    ["start"] = Neo4jTyped.AsString(result.Get(row, "start")),
                    ["end"] = Neo4jTyped.AsString(result.Get(row, "end")),
                    ["properties"] = Neo4jTyped.AsMap(result.Get(row, "properties")).DeepClone(),
                });
            }, cancellationToken));

            await WriteLineAsync(writer, new JsonObject { ["end"] = new JsonObject { ["nodes"] = exported.Nodes, ["relationships"] = exported.Relationships } });
        }

        var after = await Guard(target, () => CountsAsync(client, cancellationToken));
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

        return new DumpResult(version, "backupfn-neo4j-http", $"{client.Api}; {client.Fidelity}", Format,
            new SourceStats(StatsKind, exported.ToDictionary(), null), warnings);
    }

    public async Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken)
    {
        var counted = new Counter();
        try
        {
            await foreach (var line in ReadAsync(dump, cancellationToken))
            {
                if (line.Kind == LineKind.Node)
                {
                    counted.Node(line.Json["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
                }
                else if (line.Kind == LineKind.Relationship)
                {
                    counted.Relationship(line.Json["type"]!.GetValue<string>());
                }
            }
        }
        catch (InvalidDataException e)
        {
            return new StructureCheck(false, e.Message);
        }

        var (equal, detail) = StatsComparison.Compare(expected.Counts, counted.ToDictionary(), "manifest");
        return new StructureCheck(equal, equal
            ? $"{Format}: every line parses, sections in order, {counted.Nodes} nodes and {counted.Relationships} relationships as the manifest says"
            : $"{Format}: {detail}");
    }

    public async Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken)
    {
        var target = Parse(destinationConnection);
        using var client = Open(destinationConnection);
        long existing = await Guard(target, () => NodeCountAsync(client, cancellationToken));
        if (existing > 0 && !options.Replace)
        {
            throw new EngineException(FailureKind.Refused,
                $"database '{target.Database}' on {target.BaseUri.Host}:{target.BaseUri.Port} is not empty ({existing} nodes): restore into an empty database, or pass --replace (which deletes them first)");
        }

        if (existing > 0)
        {
            await Guard(target, () => RepeatAsync(client, Neo4jStatements.DeleteBatch, cancellationToken));
        }

        var loader = new Loader(client, options.ForTest);
        try
        {
            await Guard(target, async () =>
            {
                await client.RunAsync(Neo4jStatements.CreateRestoreIndex, null, cancellationToken);
                await foreach (var line in ReadAsync(dump, cancellationToken))
                {
                    await loader.AddAsync(line, cancellationToken);
                }

                await loader.FlushAsync(cancellationToken);
                if (options.VerifyBeforeSwap is not null)
                {
                    await options.VerifyBeforeSwap(cancellationToken);
                }

                await loader.CheckSampleAsync(cancellationToken);
                await RepeatAsync(client, Neo4jStatements.CleanupBatch, cancellationToken);
                await client.RunAsync(Neo4jStatements.DropRestoreIndex, null, cancellationToken);
                return 0;
            });
        }
        catch (InvalidDataException e)
        {
            await RemoveLoadedAsync(client);
            throw new EngineException(FailureKind.Failed, $"restore into {target.Description} stopped, nothing kept: {e.Message}", e);
        }
        catch
        {
            await RemoveLoadedAsync(client); // failed checksums, a refused statement, cancellation: take the partial load out
            throw;
        }
    }

    /// <summary>Takes out what a failed restore loaded (still marked with the temporary label); the original failure is the one reported.</summary>
    private static async Task RemoveLoadedAsync(Neo4jHttpClient client)
    {
        try
        {
            await RepeatAsync(client, Neo4jStatements.DeleteRestoredBatch, CancellationToken.None);
            await client.RunAsync(Neo4jStatements.DropRestoreIndex, null, CancellationToken.None);
        }
        catch (Exception e) when (e is EngineException or Neo4jQueryException or HttpRequestException)
        {
            // the server is gone or refuses: nothing more can be done from here
        }
    }

    public async Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken)
    {
        using var client = Open(connection);
        var counts = await Guard(Parse(connection), () => CountsAsync(client, cancellationToken));
        return new SourceStats(StatsKind, counts.ToDictionary(), null);
    }

    /// <summary>
    /// The restore-test database is the RestoreTest connection's database, which must be empty (no
    /// nodes, no constraints): Neo4j Community has one database per server, so this is a second,
    /// empty server or an empty database of an Enterprise server. Afterwards everything is deleted
    /// and the schema dropped.
    /// </summary>
    public async Task<IScratchDatabase> CreateScratchAsync(string restoreTestConnection, CancellationToken cancellationToken)
    {
        var scratch = Parse(restoreTestConnection);
        using var client = Open(restoreTestConnection);
        long nodes = await Guard(scratch, () => NodeCountAsync(client, cancellationToken));
        int constraints = (await Guard(scratch, () => client.RunAsync(Neo4jStatements.Constraints, null, cancellationToken))).Rows.Count;
        return nodes == 0 && constraints == 0
            ? new Scratch(this, restoreTestConnection, scratch)
            : throw new EngineException(FailureKind.Refused,
                $"the restore-test database {scratch.Description} is not empty ({nodes} nodes, {constraints} constraints): restore tests need an empty database (set Targets:*:RestoreTest:Connection, with Database=)");
    }

    private sealed class Scratch(Neo4jEngine engine, string connection, Neo4jConnection parsed) : IScratchDatabase
    {
        public string Connection => connection;

        public string Description => parsed.Description;

        public async ValueTask DisposeAsync()
        {
            using var client = engine.Open(connection);
            await RepeatAsync(client, Neo4jStatements.DeleteBatch, CancellationToken.None);
            foreach (var row in (await client.RunAsync(Neo4jStatements.Constraints, null, CancellationToken.None)).Rows)
            {
                await client.RunAsync(Neo4jStatements.DropConstraint(Neo4jTyped.AsString(row[0])), null, CancellationToken.None);
            }

            foreach (var row in (await client.RunAsync(Neo4jStatements.Indexes, null, CancellationToken.None)).Rows)
            {
                await client.RunAsync(Neo4jStatements.DropIndex(Neo4jTyped.AsString(row[0])), null, CancellationToken.None);
            }
        }
    }

    /// <summary>Loads nodes and relationships in UNWIND batches, grouped by label set and by type.</summary>
    private sealed class Loader(Neo4jHttpClient client, bool sample)
    {
        private readonly List<JsonObject> _nodes = [];
        private readonly List<JsonObject> _relationships = [];
        private readonly List<JsonObject> _sample = [];
        private long _seen;

        public async Task AddAsync(Line line, CancellationToken cancellationToken)
        {
            switch (line.Kind)
            {
                case LineKind.Schema:
                    try
                    {
                        await client.RunAsync(line.Json["statement"]!.GetValue<string>(), null, cancellationToken);
                    }
                    catch (Neo4jQueryException e) when (e.Code.EndsWith("EquivalentSchemaRuleAlreadyExists", StringComparison.Ordinal))
                    {
                        // already there (a replaced database keeps its schema)
                    }

                    break;
                case LineKind.Node:
                    _nodes.Add(line.Json);
                    if (sample && _seen++ % 97 == 0 && _sample.Count < SampleSize)
                    {
                        _sample.Add(line.Json);
                    }

                    if (_nodes.Count == BatchSize)
                    {
                        await FlushNodesAsync(cancellationToken);
                    }

                    break;
                case LineKind.Relationship:
                    await FlushNodesAsync(cancellationToken);
                    _relationships.Add(line.Json);
                    if (_relationships.Count == BatchSize)
                    {
                        await FlushRelationshipsAsync(cancellationToken);
                    }

                    break;
            }
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            await FlushNodesAsync(cancellationToken);
            await FlushRelationshipsAsync(cancellationToken);
        }

        private async Task FlushNodesAsync(CancellationToken cancellationToken)
        {
            foreach (var group in _nodes.GroupBy(n => string.Join('\u0001', n["labels"]!.AsArray().Select(l => l!.GetValue<string>()))))
            {
                var labels = group.First()["labels"]!.AsArray().Select(l => l!.GetValue<string>());
                var rows = group.Select(n => (JsonNode?)Neo4jTyped.Map(new JsonObject
                {
                    ["id"] = Neo4jTyped.Text(n["id"]!.GetValue<string>()),
                    ["properties"] = Neo4jTyped.Map(n["properties"]!.AsObject().DeepClone().AsObject()),
                }));
                await client.RunAsync(Neo4jStatements.CreateNodes(labels), new JsonObject { ["rows"] = Neo4jTyped.List(rows) }, cancellationToken);
            }

            _nodes.Clear();
        }

        private async Task FlushRelationshipsAsync(CancellationToken cancellationToken)
        {
            foreach (var group in _relationships.GroupBy(r => r["type"]!.GetValue<string>()))
            {
                var rows = group.Select(r => (JsonNode?)Neo4jTyped.Map(new JsonObject
                {
                    ["start"] = Neo4jTyped.Text(r["start"]!.GetValue<string>()),
                    ["end"] = Neo4jTyped.Text(r["end"]!.GetValue<string>()),
                    ["properties"] = Neo4jTyped.Map(r["properties"]!.AsObject().DeepClone().AsObject()),
                }));
                await client.RunAsync(Neo4jStatements.CreateRelationships(group.Key), new JsonObject { ["rows"] = Neo4jTyped.List(rows) }, cancellationToken);
            }

            _relationships.Clear();
        }

        /// <summary>Sampled nodes read back must carry the same labels and properties, types included.</summary>
        public async Task CheckSampleAsync(CancellationToken cancellationToken)
        {
            if (_sample.Count == 0)
            {
                return;
            }

            var ids = Neo4jTyped.List(_sample.Select(s => (JsonNode?)Neo4jTyped.Text(s["id"]!.GetValue<string>())));
            var result = await client.RunAsync(Neo4jStatements.Sample, new JsonObject { ["ids"] = ids }, cancellationToken);
            var found = result.Rows.ToDictionary(r => Neo4jTyped.AsString(result.Get(r, "id")), StringComparer.Ordinal);
            foreach (var node in _sample)
            {
                string id = node["id"]!.GetValue<string>();
                if (!found.TryGetValue(id, out var row))
                {
                    throw new EngineException(FailureKind.Failed, $"node {id} of the backup is missing after the restore");
                }

                var labels = Neo4jTyped.AsList(result.Get(row, "labels")).Select(l => Neo4jTyped.AsString(l)).Where(l => l != Neo4jStatements.RestoreLabel).Order(StringComparer.Ordinal);
                var properties = Neo4jTyped.AsMap(result.Get(row, "properties")).DeepClone().AsObject();
                properties.Remove(Neo4jStatements.RestoreProperty);
                bool sameLabels = labels.SequenceEqual(node["labels"]!.AsArray().Select(l => l!.GetValue<string>()).Order(StringComparer.Ordinal));
                if (!sameLabels || !JsonNode.DeepEquals(properties, node["properties"]))
                {
                    throw new EngineException(FailureKind.Failed, $"node {id} reads back different from the backup ({(sameLabels ? "properties" : "labels")} differ)");
                }
            }
        }
    }

    private enum LineKind { Header, Section, Schema, Node, Relationship, End }

    private sealed record Line(LineKind Kind, JsonObject Json);

    /// <summary>Reads and checks the export line by line: every line parses, sections come in order, the end line matches.</summary>
    private static async IAsyncEnumerable<Line> ReadAsync(Stream dump, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(dump, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, 1 << 16, leaveOpen: true);
        string[] sections = ["schema", "nodes", "relationships"];
        int section = -1;
        long lineNumber = 0, nodes = 0, relationships = 0;
        bool ended = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            lineNumber++;
            JsonObject json;
            try
            {
                json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"line {lineNumber} is not a JSON object");
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new InvalidDataException($"line {lineNumber} is not valid JSON: {e.Message.Split(" Path:")[0]}", e);
            }

            if (ended)
            {
                throw new InvalidDataException($"line {lineNumber} follows the end line");
            }

            if (lineNumber == 1)
            {
                yield return json["format"]?.GetValue<string>() == Format
                    ? new Line(LineKind.Header, json)
                    : throw new InvalidDataException($"not a {Format} export (line 1 has no such format)");
                continue;
            }

            if (json["section"]?.GetValue<string>() is { } name)
            {
                section = Array.IndexOf(sections, name) == section + 1 ? section + 1
                    : throw new InvalidDataException($"line {lineNumber}: section '{name}' is out of order (expected '{(section + 1 < sections.Length ? sections[section + 1] : "end")}')");
                yield return new Line(LineKind.Section, json);
            }
            else if (json["end"] is JsonObject end)
            {
                if (section != sections.Length - 1 || end["nodes"]?.GetValue<long>() != nodes || end["relationships"]?.GetValue<long>() != relationships)
                {
                    throw new InvalidDataException($"the end line does not match what was read ({nodes} nodes, {relationships} relationships)");
                }

                ended = true;
                yield return new Line(LineKind.End, json);
            }
            else
            {
                var kind = section switch
                {
                    0 when json["statement"] is JsonValue => LineKind.Schema,
                    1 when json["id"] is JsonValue && json["labels"] is JsonArray && json["properties"] is JsonObject => LineKind.Node,
                    2 when json["type"] is JsonValue && json["start"] is JsonValue && json["end"] is JsonValue && json["properties"] is JsonObject => LineKind.Relationship,
                    _ => throw new InvalidDataException($"line {lineNumber} is not a valid {(section >= 0 ? sections[section] : "header")} line"),
                };
                nodes += kind == LineKind.Node ? 1 : 0;
                relationships += kind == LineKind.Relationship ? 1 : 0;
                yield return new Line(kind, json);
            }
        }

        if (!ended)
        {
            throw new InvalidDataException($"the export is truncated: no end line after {lineNumber} lines");
        }
    }

    private static async Task WriteLineAsync(StreamWriter writer, JsonObject line)
    {
        await writer.WriteAsync(line.ToJsonString());
        await writer.WriteAsync('\n');
    }

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

    /// <summary>Runs a batched statement (returning count) until it affects nothing.</summary>
    private static async Task<long> RepeatAsync(Neo4jHttpClient client, string statement, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var result = await client.RunAsync(statement, new JsonObject { ["limit"] = Neo4jTyped.Whole(10_000) }, cancellationToken);
            long n = Neo4jTyped.AsLong(result.Rows[0][0]);
            total += n;
            if (n == 0)
            {
                return total;
            }
        }
    }

    private static async Task<long> NodeCountAsync(Neo4jHttpClient client, CancellationToken cancellationToken) =>
        Neo4jTyped.AsLong((await client.RunAsync(Neo4jStatements.NodeCount, null, cancellationToken)).Rows[0][0]);

    private static async Task<Counter> CountsAsync(Neo4jHttpClient client, CancellationToken cancellationToken)
    {
        var counter = new Counter { Nodes = await NodeCountAsync(client, cancellationToken) };
        foreach (var row in (await client.RunAsync(Neo4jStatements.LabelCounts, null, cancellationToken)).Rows)
        {
            counter.Add($"nodes/{Neo4jTyped.AsString(row[0])}", Neo4jTyped.AsLong(row[1]));
        }

        foreach (var row in (await client.RunAsync(Neo4jStatements.TypeCounts, null, cancellationToken)).Rows)
        {
            long n = Neo4jTyped.AsLong(row[1]);
            counter.Add($"relationships/{Neo4jTyped.AsString(row[0])}", n);
            counter.Relationships += n;
        }

        return counter;
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

    /// <summary>Turns a statement error into a one-line engine failure naming the server.</summary>
    private static async Task<T> Guard<T>(Neo4jConnection connection, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Neo4jQueryException e)
        {
            throw new EngineException(FailureKind.Failed, $"Neo4j at {connection.Description} refused a statement: {e.Message}", e);
        }
    }

    private static Task<int> Guard(Neo4jConnection connection, Func<Task> action) => Guard(connection, async () =>
    {
        await action();
        return 0;
    });

    /// <summary>Nodes per label and relationships per type: "nodes", "nodes/Person", "relationships", "relationships/KNOWS".</summary>
    private sealed class Counter
    {
        private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

        public long Nodes { get; set; }

        public long Relationships { get; set; }

        public void Add(string key, long n) => _counts[key] = _counts.GetValueOrDefault(key) + n;

        public void Node(IEnumerable<string> labels)
        {
            Nodes++;
            foreach (string label in labels)
            {
                Add($"nodes/{label}", 1);
            }
        }

        public void Relationship(string type)
        {
            Relationships++;
            Add($"relationships/{type}", 1);
        }

        public SortedDictionary<string, long> ToDictionary() =>
            new SortedDictionary<string, long>(_counts, StringComparer.Ordinal) { ["nodes"] = Nodes, ["relationships"] = Relationships };
    }
}
