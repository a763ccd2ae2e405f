using System.Globalization;
using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Neo4j;

/// <summary>Builders and readers of Neo4j typed JSON values, and the conversions for the plain-JSON fallback.</summary>
public static class Neo4jTyped
{
    public static JsonObject Of(string type, JsonNode? value) => new() { ["$type"] = type, ["_value"] = value };

    public static JsonObject Whole(long value) => Of("Integer", value.ToString(CultureInfo.InvariantCulture));

    public static JsonObject Text(string value) => Of("String", value);

    public static JsonObject List(IEnumerable<JsonNode?> items) => Of("List", new JsonArray(items.ToArray()));

    public static JsonObject Map(JsonObject entries) => Of("Map", entries);

    public static string? TypeOf(JsonNode? value) => value?["$type"]?.GetValue<string>();

    public static long AsLong(JsonNode? value) => value?["_value"] switch
    {
        JsonValue v when v.TryGetValue(out string? s) => long.Parse(s, CultureInfo.InvariantCulture),
        JsonValue v => v.GetValue<long>(),
        _ => throw new InvalidDataException($"expected an Integer, got {value?.ToJsonString() ?? "null"}"),
    };

    public static string AsString(JsonNode? value) => value?["_value"]?.GetValue<string>() ?? throw new InvalidDataException($"expected a String, got {value?.ToJsonString() ?? "null"}");

    public static JsonArray AsList(JsonNode? value) => value?["_value"] as JsonArray ?? throw new InvalidDataException($"expected a List, got {value?.ToJsonString() ?? "null"}");

    public static JsonObject AsMap(JsonNode? value) => value?["_value"] as JsonObject ?? throw new InvalidDataException($"expected a Map, got {value?.ToJsonString() ?? "null"}");

    /// <summary>A plain JSON value (tx/commit) as typed JSON, by its JSON kind: what the fallback can know.</summary>
    public static JsonNode FromPlain(JsonNode? plain) => plain switch
    {
        null => Of("Null", null),
        JsonArray a => List(a.Select(FromPlain)),
        JsonObject o => Map(new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)FromPlain(p.Value))))),
        JsonValue v when v.TryGetValue(out bool b) => Of("Boolean", b),
        JsonValue v when v.TryGetValue(out string? s) => Text(s),
        _ => plain.ToJsonString() is var raw && raw.IndexOfAny(['.', 'e', 'E']) < 0 ? Of("Integer", raw) : Of("Float", raw),
    };

    /// <summary>A typed JSON value as plain JSON for tx/commit parameters: numbers and structures keep their shape, everything else becomes its text.</summary>
    public static JsonNode? ToPlain(JsonNode? typed) => TypeOf(typed) switch
    {
        null or "Null" => null,
        "Integer" => JsonValue.Create(AsLong(typed)),
        "Float" => typed!["_value"] is JsonValue f && f.TryGetValue(out string? s) && double.TryParse(s, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? JsonValue.Create(d) : typed["_value"]!.DeepClone(),
        "List" => new JsonArray(AsList(typed).Select(ToPlain).ToArray()),
        "Map" => new JsonObject(AsMap(typed).Select(p => KeyValuePair.Create(p.Key, ToPlain(p.Value)))),
        _ => typed!["_value"]?.DeepClone(),
    };
}
