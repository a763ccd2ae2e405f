using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>What <c>POST /collections/{c}/snapshots</c> made: the server-side snapshot file's name and size.</summary>
public sealed record QdrantSnapshot(string Name, long Size);

/// <summary>
/// Qdrant's REST API with HttpClient (Qdrant.Client speaks gRPC, which has no snapshot download).
/// Every JSON answer is the envelope <c>{"result": ..., "status": "ok", "time": ...}</c>, an error
/// <c>{"status": {"error": "..."}, "time": ...}</c> with a 4xx/5xx. The API key goes in the
/// <c>api-key</c> header and nowhere else; no message here ever includes it. Failures become one-line
/// <see cref="EngineException"/>s naming the server and the operation.
/// </summary>
public sealed class QdrantHttpClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly QdrantConnection _connection;

    public QdrantHttpClient(QdrantConnection connection, string? apiKey, HttpMessageHandler? handler = null)
    {
        _connection = connection;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = connection.BaseUri;
        _http.Timeout = TimeSpan.FromHours(1); // snapshot creation, download and recovery of a large collection take long
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Add("api-key", apiKey);
        }
    }

    /// <summary>The server's version from <c>GET /</c> (the real server answers without the envelope; the OpenAPI shows one: both are read).</summary>
    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        var json = await SendJsonAsync(HttpMethod.Get, "", null, "read the server version", cancellationToken);
        return (json?["version"] ?? json?["result"]?["version"])?.GetValue<string>() ?? "unknown";
    }

    /// <summary>Every collection's name, sorted (<c>GET /collections</c>).</summary>
    public async Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken)
    {
        var result = await ResultAsync(HttpMethod.Get, "collections", null, "list collections", cancellationToken);
        return result?["collections"]?.AsArray().Select(c => c!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList() ?? [];
    }

    /// <summary>A collection's CollectionInfo (<c>GET /collections/{c}</c>), null when it does not exist.</summary>
    public async Task<JsonNode?> CollectionInfoAsync(string collection, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, CollectionPath(collection)), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var json = await HttpJson.ReadAsync(response, cancellationToken);
        ThrowOnError(response, json, $"read collection '{collection}'");
        return json?["result"];
    }

    /// <summary>The exact number of points (<c>POST /collections/{c}/points/count</c> with <c>exact: true</c>; CollectionInfo's points_count is approximate).</summary>
    public async Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        var result = await ResultAsync(HttpMethod.Post, $"{CollectionPath(collection)}/points/count", new JsonObject { ["exact"] = true }, $"count the points of '{collection}'", cancellationToken);
        return result?["count"]?.GetValue<long>() ?? throw Failed($"count the points of '{collection}'", "the answer has no count");
    }

    /// <summary>Creates a snapshot and waits for it (<c>POST /collections/{c}/snapshots?wait=true</c>, a SnapshotDescription).</summary>
    public async Task<QdrantSnapshot> CreateSnapshotAsync(string collection, CancellationToken cancellationToken)
    {
        var result = await ResultAsync(HttpMethod.Post, $"{CollectionPath(collection)}/snapshots?wait=true", null, $"create a snapshot of '{collection}'", cancellationToken);
        string name = result?["name"]?.GetValue<string>() ?? throw Failed($"create a snapshot of '{collection}'", "the answer has no snapshot name");
        return new QdrantSnapshot(name, result["size"]?.GetValue<long>() ?? -1);
    }

    /// <summary>Starts the download of a snapshot file (<c>GET /collections/{c}/snapshots/{name}</c>); the caller reads and disposes the response.</summary>
    public async Task<HttpResponseMessage> DownloadSnapshotAsync(string collection, string snapshot, CancellationToken cancellationToken)
    {
        var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, SnapshotPath(collection, snapshot)), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                ThrowOnError(response, await HttpJson.ReadAsync(response, cancellationToken), $"download snapshot '{snapshot}' of '{collection}'");
            }
        }

        return response;
    }

    /// <summary>Deletes a server-side snapshot file (<c>DELETE /collections/{c}/snapshots/{name}?wait=true</c>).</summary>
    public Task DeleteSnapshotAsync(string collection, string snapshot, CancellationToken cancellationToken) =>
        ResultAsync(HttpMethod.Delete, $"{SnapshotPath(collection, snapshot)}?wait=true", null, $"delete snapshot '{snapshot}' of '{collection}'", cancellationToken);

    /// <summary>
    /// Recovers <paramref name="collection"/> from an uploaded snapshot (<c>POST /collections/{c}/snapshots/upload?priority=snapshot&amp;wait=true</c>,
    /// multipart field <c>snapshot</c>), streamed from <paramref name="snapshot"/>: creates the collection, or overwrites it.
    /// </summary>
    public async Task UploadSnapshotAsync(string collection, Stream snapshot, long length, CancellationToken cancellationToken)
    {
        var file = new StreamContent(snapshot);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        file.Headers.ContentLength = length;
        using var form = new MultipartFormDataContent { { file, "snapshot", $"{collection}.snapshot" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{CollectionPath(collection)}/snapshots/upload?priority=snapshot&wait=true") { Content = form };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        ThrowOnError(response, await HttpJson.ReadAsync(response, cancellationToken), $"recover '{collection}' from an uploaded snapshot");
    }

    /// <summary>Deletes a collection (<c>DELETE /collections/{c}</c>); a missing one is no error.</summary>
    public async Task DeleteCollectionAsync(string collection, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, CollectionPath(collection)), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            ThrowOnError(response, await HttpJson.ReadAsync(response, cancellationToken), $"delete collection '{collection}'");
        }
    }

    private static string CollectionPath(string collection) => $"collections/{Uri.EscapeDataString(collection)}";

    private static string SnapshotPath(string collection, string snapshot) => $"{CollectionPath(collection)}/snapshots/{Uri.EscapeDataString(snapshot)}";

    private async Task<JsonNode?> ResultAsync(HttpMethod method, string path, JsonObject? body, string what, CancellationToken cancellationToken) =>
        (await SendJsonAsync(method, path, body, what, cancellationToken))?["result"];

    private async Task<JsonNode?> SendJsonAsync(HttpMethod method, string path, JsonObject? body, string what, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var json = await HttpJson.ReadAsync(response, cancellationToken);
        ThrowOnError(response, json, what);
        return json;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException s)
        {
            throw new EngineException(FailureKind.Unavailable,
                s.SocketErrorCode == SocketError.ConnectionRefused
                    ? $"connection refused at {_connection.Description} (is Qdrant running, with its REST API on that port?)"
                    : $"cannot reach Qdrant at {_connection.Description}: {s.SocketErrorCode}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EngineException(FailureKind.Unavailable, $"Qdrant at {_connection.Description} did not answer within {_http.Timeout.TotalMinutes:0} minutes", e);
        }
    }

    private void ThrowOnError(HttpResponseMessage response, JsonNode? json, string what)
    {
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new EngineException(FailureKind.Authentication,
                $"Qdrant at {_connection.Description} refused to {what} (HTTP {(int)response.StatusCode}: check ApiKey or ApiKeySecret{(_http.DefaultRequestHeaders.Contains("api-key") ? "; a read-only key cannot create or recover snapshots" : ", none is set")})");
        }

        if (!response.IsSuccessStatusCode)
        {
            string reason = json?["status"]?["error"]?.GetValue<string>() ?? response.ReasonPhrase ?? "";
            throw new EngineException(response.StatusCode == HttpStatusCode.NotFound ? FailureKind.NotFound : FailureKind.Failed,
                $"Qdrant at {_connection.Description} could not {what}: HTTP {(int)response.StatusCode} {OneLine(reason)}");
        }
    }

    private EngineException Failed(string what, string reason) => new(FailureKind.Failed, $"Qdrant at {_connection.Description} could not {what}: {reason}");

    /// <summary>A server's error text as one short line.</summary>
    private static string OneLine(string text)
    {
        string line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 300 ? line[..300] + "..." : line;
    }

    public void Dispose() => _http.Dispose();
}
