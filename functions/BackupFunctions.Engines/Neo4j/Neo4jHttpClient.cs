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
        var json = await HttpJson.ReadAsync(response, cancellationToken);
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
        var json = await HttpJson.ReadAsync(response, cancellationToken);
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

    /// <summary>Runs a batched statement (it takes <c>$limit</c> and returns the count it affected) until it affects nothing; returns the total.</summary>
    public async Task<long> RunBatchesAsync(string statement, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var result = await RunAsync(statement, new JsonObject { ["limit"] = Neo4jTyped.Whole(10_000) }, cancellationToken);
            long n = Neo4jTyped.AsLong(result.Rows[0][0]);
            total += n;
            if (n == 0)
            {
                return total;
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
