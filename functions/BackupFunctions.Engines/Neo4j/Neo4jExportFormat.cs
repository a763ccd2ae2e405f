using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// The export format, JSON Lines (UTF-8, no BOM, "\n" after every line):
/// <code>
/// {"format":"backupfn-neo4j-v1","api":"query/v2","fidelity":"..."}
/// {"section":"schema"}         then {"statement":"CREATE CONSTRAINT ..."} per constraint and index
/// {"section":"nodes"}          then {"id":"4:..:0","labels":["Person"],"properties":{typed JSON}}
/// {"section":"relationships"}  then {"id":"5:..","type":"KNOWS","start":"4:..:0","end":"4:..:1","properties":{...}}
/// {"end":{"nodes":N,"relationships":M}}
/// </code>
/// The builders here write each line; <see cref="ReadAsync"/> reads them back and checks them.
/// </summary>
internal static class Neo4jExportFormat
{
    public const string Name = "backupfn-neo4j-v1";
    public const string Schema = "schema";
    public const string Nodes = "nodes";
    public const string Relationships = "relationships";
    private static readonly string[] Sections = [Schema, Nodes, Relationships];

    public static JsonObject Header(string api, string fidelity) => new() { ["format"] = Name, ["api"] = api, ["fidelity"] = fidelity };

    public static JsonObject Section(string name) => new() { ["section"] = name };

    public static JsonObject Statement(string statement) => new() { ["statement"] = statement };

    public static JsonObject Node(string id, IEnumerable<string> labels, JsonNode properties) => new()
    {
        ["id"] = id,
        ["labels"] = new JsonArray(labels.Select(l => (JsonNode?)l).ToArray()),
        ["properties"] = properties,
    };

    public static JsonObject Relationship(string id, string type, string start, string end, JsonNode properties) => new()
    {
        ["id"] = id,
        ["type"] = type,
        ["start"] = start,
        ["end"] = end,
        ["properties"] = properties,
    };

    public static JsonObject End(long nodes, long relationships) => new() { ["end"] = new JsonObject { ["nodes"] = nodes, ["relationships"] = relationships } };

    /// <summary>A writer for the export: UTF-8 without BOM, 64 KiB buffer, <paramref name="destination"/> left open.</summary>
    public static StreamWriter Writer(Stream destination) => new(destination, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };

    public static async Task WriteLineAsync(StreamWriter writer, JsonObject line)
    {
        await writer.WriteAsync(line.ToJsonString());
        await writer.WriteAsync('\n');
    }

    /// <summary>Reads and checks the export line by line: every line parses, sections come in order, the end line matches.</summary>
    public static async IAsyncEnumerable<Neo4jLine> ReadAsync(Stream dump, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(dump, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, 1 << 16, leaveOpen: true);
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
            catch (JsonException e)
            {
                throw new InvalidDataException($"line {lineNumber} is not valid JSON: {e.Message.Split(" Path:")[0]}", e);
            }

            if (ended)
            {
                throw new InvalidDataException($"line {lineNumber} follows the end line");
            }

            if (lineNumber == 1)
            {
                yield return json["format"]?.GetValue<string>() == Name
                    ? new Neo4jLine(Neo4jLineKind.Header, json)
                    : throw new InvalidDataException($"not a {Name} export (line 1 has no such format)");
                continue;
            }

            if (json["section"]?.GetValue<string>() is { } name)
            {
                section = Array.IndexOf(Sections, name) == section + 1 ? section + 1
                    : throw new InvalidDataException($"line {lineNumber}: section '{name}' is out of order (expected '{(section + 1 < Sections.Length ? Sections[section + 1] : "end")}')");
                yield return new Neo4jLine(Neo4jLineKind.Section, json);
            }
            else if (json["end"] is JsonObject end)
            {
                if (section != Sections.Length - 1 || end["nodes"]?.GetValue<long>() != nodes || end["relationships"]?.GetValue<long>() != relationships)
                {
                    throw new InvalidDataException($"the end line does not match what was read ({nodes} nodes, {relationships} relationships)");
                }

                ended = true;
                yield return new Neo4jLine(Neo4jLineKind.End, json);
            }
            else
            {
                var kind = section switch
                {
                    0 when json["statement"] is JsonValue => Neo4jLineKind.Schema,
                    1 when json["id"] is JsonValue && json["labels"] is JsonArray && json["properties"] is JsonObject => Neo4jLineKind.Node,
                    2 when json["type"] is JsonValue && json["start"] is JsonValue && json["end"] is JsonValue && json["properties"] is JsonObject => Neo4jLineKind.Relationship,
                    _ => throw new InvalidDataException($"line {lineNumber} is not a valid {(section >= 0 ? Sections[section] : "header")} line"),
                };
                nodes += kind == Neo4jLineKind.Node ? 1 : 0;
                relationships += kind == Neo4jLineKind.Relationship ? 1 : 0;
                yield return new Neo4jLine(kind, json);
            }
        }

        if (!ended)
        {
            throw new InvalidDataException($"the export is truncated: no end line after {lineNumber} lines");
        }
    }

    /// <summary>The labels of a node line.</summary>
    public static IEnumerable<string> Labels(JsonObject node) => node["labels"]!.AsArray().Select(l => l!.GetValue<string>());

    /// <summary>The type of a relationship line.</summary>
    public static string Type(JsonObject relationship) => relationship["type"]!.GetValue<string>();
}

internal enum Neo4jLineKind { Header, Section, Schema, Node, Relationship, End }

/// <summary>One checked line of an export.</summary>
internal sealed record Neo4jLine(Neo4jLineKind Kind, JsonObject Json);
