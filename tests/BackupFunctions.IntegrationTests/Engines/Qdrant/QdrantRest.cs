using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace BackupFunctions.IntegrationTests.Engines.Qdrant;

/// <summary>
/// Test data through Qdrant's own REST API (<c>PUT /collections/{c}</c>, <c>PUT /collections/{c}/points?wait=true</c>,
/// <c>DELETE /collections/{c}</c>), so the same seeding works on the labelled fake and on a real server.
/// </summary>
internal sealed class QdrantRest(string url, string? apiKey) : IDisposable
{
    private readonly HttpClient _http = Client(url, apiKey);

    private static HttpClient Client(string url, string? apiKey)
    {
        var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/") };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("api-key", apiKey);
        }

        return http;
    }

    /// <summary>Creates <c>{prefix}docs</c> (4-dim Cosine, <paramref name="points"/> points with payloads) and <c>{prefix}images</c> (named vectors clip 3-dim Dot, text 2-dim Euclid; half as many).</summary>
    public async Task SeedAsync(string prefix, int points = 50)
    {
        await CreateAsync($"{prefix}docs", new JsonObject { ["size"] = 4, ["distance"] = "Cosine" },
            Enumerable.Range(1, points).Select(i => new JsonObject
            {
                ["id"] = i,
                ["vector"] = new JsonArray(i * 0.1, 0.2, 0.3, 0.4),
                ["payload"] = new JsonObject { ["title"] = $"document {i}", ["tags"] = new JsonArray("a", "b") },
            }));
        await CreateAsync($"{prefix}images", new JsonObject
        {
            ["clip"] = new JsonObject { ["size"] = 3, ["distance"] = "Dot" },
            ["text"] = new JsonObject { ["size"] = 2, ["distance"] = "Euclid" },
        }, Enumerable.Range(1, points / 2).Select(i => new JsonObject
        {
            ["id"] = $"00000000-0000-0000-0000-{i:D12}",
            ["vector"] = new JsonObject { ["clip"] = new JsonArray(1.0, 0.5, i), ["text"] = new JsonArray(0.1, i) },
            ["payload"] = new JsonObject { ["file"] = $"img{i}.png" },
        }));
    }

    public async Task CreateAsync(string collection, JsonObject vectors, IEnumerable<JsonObject> points)
    {
        (await _http.PutAsJsonAsync($"collections/{collection}", new JsonObject { ["vectors"] = vectors })).EnsureSuccessStatusCode();
        foreach (var batch in points.Chunk(500))
        {
            (await _http.PutAsJsonAsync($"collections/{collection}/points?wait=true", new JsonObject { ["points"] = new JsonArray(batch.Select(p => (JsonNode?)p).ToArray()) })).EnsureSuccessStatusCode();
        }
    }

    public async Task DeleteAsync(string collection) => (await _http.DeleteAsync($"collections/{collection}")).EnsureSuccessStatusCode();

    /// <summary>Collection names on the server starting with <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(string prefix)
    {
        var json = await _http.GetFromJsonAsync<JsonNode>("collections");
        return json!["result"]!["collections"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>How many snapshot files the server keeps for <paramref name="collection"/> (<c>GET /collections/{c}/snapshots</c>).</summary>
    public async Task<int> SnapshotCountAsync(string collection)
    {
        var json = await _http.GetFromJsonAsync<JsonNode>($"collections/{collection}/snapshots");
        return json!["result"]!.AsArray().Count;
    }

    public void Dispose() => _http.Dispose();
}
