using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackupFunctions.Engines.Neo4j;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Engines.Neo4j;

/// <summary>
/// FAKE Neo4j, labelled as such: no Neo4j server can be installed here. It speaks Neo4j's HTTP
/// wire formats over Kestrel: the Query API (<c>POST /db/{db}/query/v2</c>, typed JSON in and out,
/// 202 with <c>data.fields/values</c>, errors as <c>{"errors":[{code,message}]}</c> with a 4xx), the
/// tx/commit endpoint (plain JSON, <c>results[].columns/data[].row</c>, and errors inside a 200),
/// basic authentication (401 <c>Neo.ClientError.Security.Unauthorized</c>), 404 for an unknown
/// database, and a plain 404 when the Query API is "not enabled". Behind it is an in-memory graph
/// that executes exactly the statements the engine sends (<see cref="Neo4jStatements"/>) and nothing
/// else (anything else is a SyntaxError). It proves our client against the wire format, not what a
/// real server would decide; scripts/neo4j-check.sh runs the round trip against a real one.
/// </summary>
internal sealed partial class FakeNeo4jServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();

    private FakeNeo4jServer(WebApplication app) => _app = app;

    public string User { get; set; } = "neo4j";
    public string Password { get; set; } = "fake-secret";
    public bool QueryApiEnabled { get; set; } = true;

    /// <summary>When it returns true for a statement, the server answers with a ClientError (in a 200 on tx/commit).</summary>
    public Func<string, bool>? FailWhen { get; set; }

    /// <summary>Called after each statement (under the lock): tests change the graph mid-export with it.</summary>
    public Action<string, Graph>? AfterStatement { get; set; }

    public Dictionary<string, Graph> Databases { get; } = new(StringComparer.Ordinal) { ["neo4j"] = new Graph(), ["scratch"] = new Graph() };

    public List<string> Statements { get; } = [];

    public Uri Uri => new(_app.Urls.First() + "/");

    public string Connection(string database = "neo4j", string? password = null) =>
        $"Url={Uri};User={User};Password={password ?? Password};Database={database}";

    public static async Task<FakeNeo4jServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeNeo4jServer(app);
        app.MapPost("/db/{db}/query/v2", (string db, HttpContext http) => fake.ServeAsync(db, http, queryApi: true));
        app.MapPost("/db/{db}/tx/commit", (string db, HttpContext http) => fake.ServeAsync(db, http, queryApi: false));
        await app.StartAsync();
        return fake;
    }

    private async Task<IResult> ServeAsync(string db, HttpContext http, bool queryApi)
    {
        if (queryApi && !QueryApiEnabled)
        {
            return Results.NotFound();
        }

        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
        if (http.Request.Headers.Authorization.ToString() != expected)
        {
            return Results.Json(Errors("Neo.ClientError.Security.Unauthorized", "Invalid credential."), statusCode: 401);
        }

        if (!Databases.TryGetValue(db, out var graph))
        {
            return Results.Json(Errors("Neo.ClientError.Database.DatabaseNotFound", $"Graph not found: {db}"), statusCode: 404);
        }

        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        string statement;
        JsonObject parameters;
        if (queryApi)
        {
            statement = body["statement"]!.GetValue<string>();
            parameters = body["parameters"]?.AsObject() ?? [];
        }
        else
        {
            var first = body["statements"]!.AsArray()[0]!;
            statement = first["statement"]!.GetValue<string>();
            parameters = new JsonObject((first["parameters"]?.AsObject() ?? []).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Neo4jTyped.FromPlain(p.Value))));
        }

        (string[] Fields, List<JsonNode?[]> Rows) result;
        lock (_lock)
        {
            Statements.Add(statement);
            try
            {
                result = FailWhen?.Invoke(statement) == true
                    ? throw new FakeCypherException("Neo.ClientError.Statement.SyntaxError", "Invalid input (injected by the test)")
                    : Execute(graph, statement, parameters);
                AfterStatement?.Invoke(statement, graph);
            }
            catch (FakeCypherException e)
            {
                return queryApi
                    ? Results.Json(Errors(e.Code, e.Message), statusCode: 400)
                    : Results.Json(new JsonObject { ["results"] = new JsonArray(), ["errors"] = Errors(e.Code, e.Message)["errors"]!.DeepClone() }, statusCode: 200);
            }
        }

        if (queryApi)
        {
            var values = new JsonArray(result.Rows.Select(r => (JsonNode?)new JsonArray(r.Select(v => v?.DeepClone()).ToArray())).ToArray());
            var data = new JsonObject { ["fields"] = new JsonArray(result.Fields.Select(f => (JsonNode?)f).ToArray()), ["values"] = values };
            return Results.Content(new JsonObject { ["data"] = data, ["bookmarks"] = new JsonArray("FB:fake") }.ToJsonString(), Neo4jHttpClient.TypedMediaType, Encoding.UTF8, 202);
        }

        var rows = new JsonArray(result.Rows.Select(r => (JsonNode?)new JsonObject { ["row"] = new JsonArray(r.Select(Plain).ToArray()), ["meta"] = new JsonArray() }).ToArray());
        var answer = new JsonObject
        {
            ["results"] = new JsonArray(new JsonObject { ["columns"] = new JsonArray(result.Fields.Select(f => (JsonNode?)f).ToArray()), ["data"] = rows }),
            ["errors"] = new JsonArray(),
        };
        return Results.Content(answer.ToJsonString(), "application/json", Encoding.UTF8, 200);
    }

    /// <summary>What tx/commit's plain JSON makes of a value: numbers stay numbers, temporals become strings, points maps, byte arrays lists.</summary>
    private static JsonNode? Plain(JsonNode? typed) => Neo4jTyped.TypeOf(typed) switch
    {
        null or "Null" => null,
        "Integer" => JsonValue.Create(long.Parse(typed!["_value"]!.GetValue<string>(), CultureInfo.InvariantCulture)),
        "Float" => JsonValue.Create(double.Parse(typed!["_value"]!.GetValue<string>(), CultureInfo.InvariantCulture)),
        "Boolean" => JsonValue.Create(typed!["_value"]!.GetValue<bool>()),
        "List" => new JsonArray(typed!["_value"]!.AsArray().Select(Plain).ToArray()),
        "Map" => new JsonObject(typed!["_value"]!.AsObject().Select(p => KeyValuePair.Create(p.Key, Plain(p.Value)))),
        "Base64" => new JsonArray(Convert.FromBase64String(typed!["_value"]!.GetValue<string>()).Select(b => (JsonNode?)JsonValue.Create((int)(sbyte)b)).ToArray()),
        "Point" => PointMap(typed!["_value"]!.GetValue<string>()),
        _ => JsonValue.Create(typed!["_value"]!.GetValue<string>()),
    };

    private static JsonObject PointMap(string wkt)
    {
        var m = PointPattern().Match(wkt);
        var coordinates = m.Groups[2].Value.Split(' ').Select(c => (JsonNode?)JsonValue.Create(double.Parse(c, CultureInfo.InvariantCulture))).ToArray();
        return new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(coordinates), ["crs"] = new JsonObject { ["srid"] = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) } };
    }

    private static JsonObject Errors(string code, string message) =>
        new() { ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message }) };

    private static (string[], List<JsonNode?[]>) Rows(string[] fields, IEnumerable<JsonNode?[]> rows) => (fields, rows.ToList());

    private static (string[], List<JsonNode?[]>) Count(long n) => Rows(["count"], [[Neo4jTyped.Whole(n)]]);

    private static JsonObject Strings(IEnumerable<string> items) => Neo4jTyped.List(items.Select(i => (JsonNode?)Neo4jTyped.Text(i)));

    private static (string[], List<JsonNode?[]>) Execute(Graph g, string statement, JsonObject p)
    {
        long Limit() => Neo4jTyped.AsLong(p["limit"]);
        string After() => Neo4jTyped.AsString(p["after"]);
        switch (statement)
        {
            case Neo4jStatements.NodeCount:
                return Count(g.Nodes.Count);
            case Neo4jStatements.LabelCounts:
                return Rows(["label", "count"], g.Nodes.SelectMany(n => n.Labels).GroupBy(l => l).Select(x => new JsonNode?[] { Neo4jTyped.Text(x.Key), Neo4jTyped.Whole(x.Count()) }));
            case Neo4jStatements.TypeCounts:
                return Rows(["type", "count"], g.Relationships.GroupBy(r => r.Type).Select(x => new JsonNode?[] { Neo4jTyped.Text(x.Key), Neo4jTyped.Whole(x.Count()) }));
            case Neo4jStatements.Constraints:
                return Rows(["name", "createStatement"], g.Schema.Where(s => s.Constraint).Select(s => new JsonNode?[] { Neo4jTyped.Text(s.Name), Neo4jTyped.Text(s.Create) }));
            case Neo4jStatements.Indexes:
                return Rows(["name", "createStatement"], g.Schema.Where(s => !s.Constraint).Select(s => new JsonNode?[] { Neo4jTyped.Text(s.Name), Neo4jTyped.Text(s.Create) }));
            case Neo4jStatements.Version:
                return Rows(["version", "edition"], [[Neo4jTyped.Text("5.26.0"), Neo4jTyped.Text("community")]]);
            case Neo4jStatements.NodesPage:
                return Rows(["id", "labels", "properties"], g.Nodes.Where(n => string.CompareOrdinal(n.Id, After()) > 0).OrderBy(n => n.Id, StringComparer.Ordinal).Take((int)Limit())
                    .Select(n => new JsonNode?[] { Neo4jTyped.Text(n.Id), Strings(n.Labels), Neo4jTyped.Map(n.Properties.DeepClone().AsObject()) }));
            case Neo4jStatements.RelationshipsPage:
                return Rows(["id", "type", "start", "end", "properties"], g.Relationships.Where(r => string.CompareOrdinal(r.Id, After()) > 0).OrderBy(r => r.Id, StringComparer.Ordinal).Take((int)Limit())
                    .Select(r => new JsonNode?[] { Neo4jTyped.Text(r.Id), Neo4jTyped.Text(r.Type), Neo4jTyped.Text(r.Start), Neo4jTyped.Text(r.End), Neo4jTyped.Map(r.Properties.DeepClone().AsObject()) }));
            case Neo4jStatements.DeleteBatch:
                return Count(g.Delete(g.Nodes.Take((int)Limit()).ToList()));
            case Neo4jStatements.DeleteRestoredBatch:
                return Count(g.Delete(g.Nodes.Where(n => n.Labels.Contains(Neo4jStatements.RestoreLabel)).Take((int)Limit()).ToList()));
            case Neo4jStatements.CreateRestoreIndex:
                if (!g.Schema.Any(s => s.Name == Neo4jStatements.RestoreIndex))
                {
                    g.Schema.Add(new SchemaRule(Neo4jStatements.RestoreIndex, statement, Constraint: false));
                }

                return Rows([], []);
            case Neo4jStatements.DropRestoreIndex:
                g.Schema.RemoveAll(s => s.Name == Neo4jStatements.RestoreIndex);
                return Rows([], []);
            case Neo4jStatements.CleanupBatch:
                var marked = g.Nodes.Where(n => n.Labels.Contains(Neo4jStatements.RestoreLabel)).Take((int)Limit()).ToList();
                foreach (var n in marked)
                {
                    n.Labels.Remove(Neo4jStatements.RestoreLabel);
                    n.Properties.Remove(Neo4jStatements.RestoreProperty);
                }

                return Count(marked.Count);
            case Neo4jStatements.Sample:
                var ids = Neo4jTyped.AsList(p["ids"]).Select(i => Neo4jTyped.AsString(i)).ToHashSet(StringComparer.Ordinal);
                return Rows(["id", "labels", "properties"], g.Nodes.Where(n => n.Labels.Contains(Neo4jStatements.RestoreLabel) && n.Properties[Neo4jStatements.RestoreProperty] is { } id && ids.Contains(Neo4jTyped.AsString(id)))
                    .Select(n => new JsonNode?[] { n.Properties[Neo4jStatements.RestoreProperty]!.DeepClone(), Strings(n.Labels), Neo4jTyped.Map(n.Properties.DeepClone().AsObject()) }));
        }

        if (CreateNodesPattern().Match(statement) is { Success: true } nodes)
        {
            var labels = LabelPattern().Matches(nodes.Groups[1].Value).Select(m => m.Groups[1].Value.Replace("``", "`", StringComparison.Ordinal)).ToList();
            foreach (var row in Neo4jTyped.AsList(p["rows"]))
            {
                var map = Neo4jTyped.AsMap(row);
                var properties = Neo4jTyped.AsMap(map["properties"]).DeepClone().AsObject();
                properties[Neo4jStatements.RestoreProperty] = map["id"]!.DeepClone();
                g.AddNode([Neo4jStatements.RestoreLabel, .. labels], properties);
            }

            return Rows([], []);
        }

        if (CreateRelationshipsPattern().Match(statement) is { Success: true } rels)
        {
            string type = rels.Groups[1].Value.Replace("``", "`", StringComparison.Ordinal);
            foreach (var row in Neo4jTyped.AsList(p["rows"]))
            {
                var map = Neo4jTyped.AsMap(row);
                var start = g.ByRestoreId(Neo4jTyped.AsString(map["start"]));
                var end = g.ByRestoreId(Neo4jTyped.AsString(map["end"]));
                if (start is not null && end is not null)
                {
                    g.AddRelationship(type, start.Id, end.Id, Neo4jTyped.AsMap(map["properties"]).DeepClone().AsObject());
                }
            }

            return Rows([], []);
        }

        if (CreateSchemaPattern().Match(statement) is { Success: true } create)
        {
            return g.Schema.Any(s => s.Name == create.Groups[2].Value)
                ? throw new FakeCypherException("Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists", $"An equivalent rule already exists: {create.Groups[2].Value}")
                : AddRule(g, new SchemaRule(create.Groups[2].Value, statement, create.Groups[1].Value == "CONSTRAINT"));
        }

        if (DropSchemaPattern().Match(statement) is { Success: true } drop)
        {
            g.Schema.RemoveAll(s => s.Name == drop.Groups[2].Value);
            return Rows([], []);
        }

        throw new FakeCypherException("Neo.ClientError.Statement.SyntaxError", $"the fake does not know this statement: {statement}");
    }

    private static (string[], List<JsonNode?[]>) AddRule(Graph g, SchemaRule rule)
    {
        g.Schema.Add(rule);
        return Rows([], []);
    }

    [GeneratedRegex(@"^UNWIND \$rows AS row CREATE \(n:__BackupfnRestore((?::`(?:[^`]|``)*`)*) \{__backupfn_id: row\.id\}\) SET n \+= row\.properties$")]
    private static partial Regex CreateNodesPattern();

    [GeneratedRegex(@"`((?:[^`]|``)*)`")]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^UNWIND \$rows AS row MATCH \(a:__BackupfnRestore \{__backupfn_id: row\.start\}\) MATCH \(b:__BackupfnRestore \{__backupfn_id: row\.end\}\) CREATE \(a\)-\[r:`((?:[^`]|``)*)`\]->\(b\) SET r = row\.properties$")]
    private static partial Regex CreateRelationshipsPattern();

    [GeneratedRegex(@"^CREATE (CONSTRAINT|(?:[A-Z]+ )?INDEX) `?([A-Za-z0-9_]+)`? FOR ")]
    private static partial Regex CreateSchemaPattern();

    [GeneratedRegex(@"^DROP (CONSTRAINT|INDEX) `([^`]+)` IF EXISTS$")]
    private static partial Regex DropSchemaPattern();

    [GeneratedRegex(@"SRID=(\d+);POINT(?: Z)? \(([^)]*)\)")]
    private static partial Regex PointPattern();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed class FakeCypherException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    internal sealed record SchemaRule(string Name, string Create, bool Constraint);

    internal sealed record FakeNode(string Id, List<string> Labels, JsonObject Properties);

    internal sealed record FakeRelationship(string Id, string Type, string Start, string End, JsonObject Properties);

    /// <summary>An in-memory graph with Neo4j 5-style element ids ("4:&lt;db id&gt;:&lt;n&gt;" for nodes, "5:..." for relationships).</summary>
    internal sealed class Graph
    {
        private readonly string _dbId = Guid.NewGuid().ToString();
        private long _next;

        public List<FakeNode> Nodes { get; } = [];
        public List<FakeRelationship> Relationships { get; } = [];
        public List<SchemaRule> Schema { get; } = [];

        public FakeNode AddNode(IEnumerable<string> labels, JsonObject properties)
        {
            var node = new FakeNode($"4:{_dbId}:{_next++}", labels.ToList(), properties);
            Nodes.Add(node);
            return node;
        }

        public void AddRelationship(string type, string start, string end, JsonObject properties) =>
            Relationships.Add(new FakeRelationship($"5:{_dbId}:{_next++}", type, start, end, properties));

        public FakeNode? ByRestoreId(string id) => Nodes.FirstOrDefault(n =>
            n.Labels.Contains(Neo4jStatements.RestoreLabel) && n.Properties[Neo4jStatements.RestoreProperty] is { } v && Neo4jTyped.AsString(v) == id);

        public long Delete(List<FakeNode> nodes)
        {
            var ids = nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
            Relationships.RemoveAll(r => ids.Contains(r.Start) || ids.Contains(r.End));
            Nodes.RemoveAll(n => ids.Contains(n.Id));
            return nodes.Count;
        }
    }
}
