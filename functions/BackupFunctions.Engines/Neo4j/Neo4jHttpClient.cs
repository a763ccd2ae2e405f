using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Neo4j;

/// <summary>Rows of one statement's result, every value in Neo4j's typed JSON (<c>{"$type": ..., "_value": ...}</c>).</summary>
public sealed record Neo4jResult(IReadOnlyList<string> Fields, IReadOnlyList<JsonArray> Rows)
{
    private readonly Dictionary<string, int> _index = Fields.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);

    /// <summary>The value of <paramref name="field"/> in <paramref name="row"/> (called per row of every export page).</summary>
    public JsonNode? Get(JsonArray row, string field) => row[_index[field]];
}

/// <summary>Neo4j answered a statement with an error (in an error status, or in the errors array of a 200).</summary>
public sealed class Neo4jQueryException : Exception
{
    public Neo4jQueryException(string code, string message) : base($"{code}: {message}") => Code = code;

    public Neo4jQueryException() : this("Neo.UnknownError", "unknown error") { }

    public Neo4jQueryException(string message) : this("Neo.UnknownError", message) { }

    public Neo4jQueryException(string message, Exception inner) : base(message, inner) => Code = "Neo.UnknownError";

    public string Code { get; } = "Neo.UnknownError";
}

/// <summary>
/// Runs Cypher over Neo4j's HTTP APIs with HttpClient (no .NET driver is in the package feed). It
/// prefers the Query API (<c>POST /db/{db}/query/v2</c>) with typed JSON, in which temporal, spatial,
/// byte-array and integer-vs-float values keep their types, both in results and in parameters. When
/// the Query API is not enabled (404 without a Neo4j error), it falls back to
/// <c>POST /db/{db}/tx/commit</c> with plain JSON, whose results are converted to typed JSON by their
/// JSON kind: see <see cref="Fidelity"/>. A 200 from tx/commit with an <c>errors</c> array is a failure.
/// </summary>
public sealed class Neo4jHttpClient : IDisposable
{
    public const string TypedMediaType = "application/vnd.neo4j.query";
    private readonly HttpClient _http;
    private readonly Neo4jConnection _connection;
    private bool? _queryApi;

    public Neo4jHttpClient(Neo4jConnection connection, HttpMessageHandler? handler = null)
    {
        _connection = connection;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = connection.BaseUri;
        _http.Timeout = TimeSpan.FromMinutes(10);
        if (connection.User is not null)
        {
            string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{connection.User}:{connection.Password}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
    }

    /// <summary>"query/v2" or "tx/commit": the API the last statement went through.</summary>
    public string Api => _queryApi == false ? "tx/commit" : "query/v2";

    /// <summary>What values keep their types through <see cref="Api"/>.</summary>
    public string Fidelity => _queryApi == false
        ? "plain JSON: temporal and spatial values become strings or maps, byte arrays become lists, whole-number floats become integers"
        : "typed JSON: every Cypher value keeps its type";

    /// <summary>Runs one statement in its own transaction. Parameters are typed JSON values.</summary>
    public async Task<Neo4jResult> RunAsync(string statement, JsonObject? parameters, CancellationToken cancellationToken)
    {
        if (_queryApi != false)
        {
            var result = await QueryApiAsync(statement, parameters, cancellationToken);
            if (result is not null)
            {
                _queryApi = true;
                return result;
            }

            _queryApi = false; // not enabled on this server
        }

        return await TxCommitAsync(statement, parameters, cancellationToken);
    }

    private async Task<Neo4jResult?> QueryApiAsync(string statement, JsonObject? parameters, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["statement"] = statement, ["parameters"] = parameters?.DeepClone() ?? new JsonObject() };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"db/{_connection.Database}/query/v2")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, TypedMediaType),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(TypedMediaType));
        using var response = await SendAsync(request, cancellationToken);
        var json = await ReadJsonAsync(response, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && FirstError(json) is null && _queryApi is null)
        {
            return null;
        }

        ThrowOnError(response, json);
        var data = json?["data"] ?? throw new Neo4jQueryException("Neo.ClientError.Request.Invalid", "the Query API answer has no data");
        var fields = data["fields"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        var rows = data["values"]!.AsArray().Select(r => r!.AsArray()).ToList();
        return new Neo4jResult(fields, rows);
    }

    private async Task<Neo4jResult> TxCommitAsync(string statement, JsonObject? parameters, CancellationToken cancellationToken)
    {
        var plain = new JsonObject();
        foreach (var (name, value) in parameters ?? [])
        {
            plain[name] = Neo4jTyped.ToPlain(value);
        }

        var body = new JsonObject { ["statements"] = new JsonArray(new JsonObject { ["statement"] = statement, ["parameters"] = plain }) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"db/{_connection.Database}/tx/commit")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await SendAsync(request, cancellationToken);
        var json = await ReadJsonAsync(response, cancellationToken);
        ThrowOnError(response, json);
        var result = json?["results"]?.AsArray().FirstOrDefault()
            ?? throw new Neo4jQueryException("Neo.ClientError.Request.Invalid", "the tx/commit answer has no result");
        var fields = result["columns"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        var rows = result["data"]!.AsArray().Select(d => new JsonArray(d!["row"]!.AsArray().Select(Neo4jTyped.FromPlain).ToArray())).ToList();
        return new Neo4jResult(fields, rows);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException s)
        {
            throw new EngineException(FailureKind.Unavailable,
                s.SocketErrorCode == SocketError.ConnectionRefused
                    ? $"connection refused at {_connection.BaseUri.Host}:{_connection.BaseUri.Port} (is Neo4j running, with its HTTP connector there?)"
                    : $"cannot reach Neo4j at {_connection.BaseUri.Host}:{_connection.BaseUri.Port}: {s.SocketErrorCode}", e);
        }
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static JsonNode? FirstError(JsonNode? json) => json?["errors"] is JsonArray { Count: > 0 } errors ? errors[0] : null;

    private void ThrowOnError(HttpResponseMessage response, JsonNode? json)
    {
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new EngineException(FailureKind.Authentication,
                $"Neo4j at {_connection.BaseUri.Host}:{_connection.BaseUri.Port} refused the credentials{(_connection.User is null ? " (none were given)" : $" of user '{_connection.User}'")} (HTTP {(int)response.StatusCode}; check User and Password)");
        }

        if (FirstError(json) is { } error)
        {
            string code = error["code"]?.GetValue<string>() ?? "Neo.UnknownError";
            string message = error["message"]?.GetValue<string>() ?? "";
            throw code.EndsWith("DatabaseNotFound", StringComparison.Ordinal)
                ? new EngineException(FailureKind.NotFound, $"Neo4j at {_connection.BaseUri.Host}:{_connection.BaseUri.Port} has no database '{_connection.Database}' (check Database)")
                : new Neo4jQueryException(code, message);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new EngineException(FailureKind.Failed, $"Neo4j at {_connection.Description} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    public void Dispose() => _http.Dispose();
}

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
