using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BackupFunctions.Engines.Neo4j;

namespace BackupFunctions.IntegrationTests.Engines.Neo4j;

/// <summary>
/// A seed graph written as an export, so that the same test seeds a real server and the fake through
/// the engine's own restore: every typed value the Query API knows, several labels (one node set with
/// two), two relationship types, a constraint and an index, and more nodes than one page.
/// </summary>
internal static class Neo4jTestGraph
{
    public static JsonObject Typed(string type, JsonNode? value) => Neo4jTyped.Of(type, value);

    /// <summary>The properties of node <paramref name="i"/>: "key" is unique and identifies it across exports.</summary>
    public static JsonObject Properties(int i) => new()
    {
        ["key"] = Neo4jTyped.Whole(i),
        ["email"] = Neo4jTyped.Text($"user{i}@example.com"),
        ["name"] = Neo4jTyped.Text(i % 2 == 0 ? $"Zoë ✓ {i}" : $"user {i}"),
        ["score"] = Typed("Float", i % 3 == 0 ? "2.0" : "3.14"), // a whole-number float must stay a float
        ["active"] = Typed("Boolean", i % 2 == 0),
        ["avatar"] = Typed("Base64", Convert.ToBase64String([0, 1, 2, 255, (byte)i])),
        ["born"] = Typed("Date", "2024-02-29"),
        ["wakes"] = Typed("LocalTime", "06:30:00"),
        ["lastSeen"] = Typed("OffsetDateTime", "2024-02-29T12:34:56+01:00"),
        ["updated"] = Typed("LocalDateTime", "2024-02-29T12:34:56"),
        ["tenure"] = Typed("Duration", "P14M3DT4H5M6S"),
        ["home"] = Typed("Point", "SRID=4326;POINT (12.5 41.9)"),
        ["tags"] = Neo4jTyped.List([Neo4jTyped.Whole(i), Neo4jTyped.Whole(-i)]),
    };

    public static string[] Labels(int i) => i % 10 == 0 ? ["Person", "Admin"] : i % 3 == 0 ? ["Company"] : ["Person"];

    /// <summary>An export holding <paramref name="nodes"/> nodes and about as many relationships.</summary>
    public static byte[] Export(int nodes)
    {
        var lines = new List<JsonObject>
        {
            new() { ["format"] = Neo4jEngine.Format, ["api"] = "query/v2", ["fidelity"] = "test seed" },
            new() { ["section"] = "schema" },
            new() { ["statement"] = "CREATE CONSTRAINT person_email FOR (n:Person) REQUIRE n.email IS UNIQUE" },
            new() { ["statement"] = "CREATE RANGE INDEX person_name FOR (n:Person) ON (n.name)" },
            new() { ["section"] = "nodes" },
        };
        for (int i = 0; i < nodes; i++)
        {
            lines.Add(new() { ["id"] = $"seed:{i}", ["labels"] = new JsonArray(Labels(i).Select(l => (JsonNode?)l).ToArray()), ["properties"] = Properties(i) });
        }

        lines.Add(new() { ["section"] = "relationships" });
        int relationships = 0;
        for (int i = 1; i < nodes; i++)
        {
            lines.Add(Relationship("KNOWS", i - 1, i, new JsonObject { ["since"] = Typed("Date", "2020-01-01"), ["weight"] = Typed("Float", "0.5") }));
            relationships++;
            if (i % 7 == 0)
            {
                lines.Add(Relationship("WORKS_AT", i, (i / 3) * 3, new JsonObject { ["role"] = Neo4jTyped.Text("engineer") }));
                relationships++;
            }
        }

        lines.Add(new() { ["end"] = new JsonObject { ["nodes"] = nodes, ["relationships"] = relationships } });
        return Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l.ToJsonString() + "\n")));

        JsonObject Relationship(string type, int start, int end, JsonObject properties) => new()
        {
            ["id"] = $"seed-r:{start}-{end}-{type}",
            ["type"] = type,
            ["start"] = $"seed:{start}",
            ["end"] = $"seed:{end}",
            ["properties"] = properties,
        };
    }

    /// <summary>
    /// An export's content without its element ids: each node as labels + properties keyed by its "key"
    /// property, each relationship as type + the keys of its ends + properties. Equal exports of
    /// different databases give equal sets.
    /// </summary>
    public static (SortedSet<string> Nodes, SortedSet<string> Relationships, SortedSet<string> Schema) Content(byte[] export)
    {
        var keyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodes = new SortedSet<string>(StringComparer.Ordinal);
        var relationships = new SortedSet<string>(StringComparer.Ordinal);
        var schema = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string text in Encoding.UTF8.GetString(export).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var line = JsonNode.Parse(text)!.AsObject();
            if (line["statement"] is JsonValue statement)
            {
                schema.Add(statement.GetValue<string>());
            }
            else if (line["labels"] is JsonArray labels)
            {
                string key = line["properties"]!["key"]!["_value"]!.ToJsonString();
                keyOf[line["id"]!.GetValue<string>()] = key;
                nodes.Add($"{key} {string.Join(":", labels.Select(l => l!.GetValue<string>()).Order(StringComparer.Ordinal))} {Sorted(line["properties"]!.AsObject())}");
            }
            else if (line["type"] is JsonValue type && line["start"] is JsonValue)
            {
                relationships.Add($"{keyOf[line["start"]!.GetValue<string>()]}-[{type.GetValue<string>()}]->{keyOf[line["end"]!.GetValue<string>()]} {Sorted(line["properties"]!.AsObject())}");
            }
        }

        return (nodes, relationships, schema);
    }

    private static string Sorted(JsonObject properties) =>
        string.Join(",", properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value!.ToJsonString()}"));

    public static long Count(IReadOnlyDictionary<string, long> counts, string key) => counts.GetValueOrDefault(key);

    public static string Describe(IReadOnlyDictionary<string, long> counts) =>
        string.Join(", ", counts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
}
