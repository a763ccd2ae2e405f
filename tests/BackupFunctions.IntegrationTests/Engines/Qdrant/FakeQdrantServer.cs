using System.Formats.Tar;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Engines.Qdrant;

/// <summary>
/// FAKE Qdrant, labelled as such: no Qdrant server can be installed here. It speaks Qdrant's REST
/// API over Kestrel with the request and response shapes of Qdrant's published OpenAPI
/// (qdrant/qdrant docs/redoc/master/openapi.json): the <c>api-key</c> header (securitySchemes
/// "api-key"); answers wrapped as <c>{"result": ..., "status": "ok", "time": ...}</c> and errors as
/// ErrorResponse <c>{"status": {"error": "..."}, "time": ..., "result": null}</c> with a 4xx/5xx;
/// <c>GET /</c> (VersionInfo), <c>GET /collections</c> (CollectionsResponse), <c>GET/PUT/DELETE
/// /collections/{c}</c> (CollectionInfo: points_count, config.params.vectors as VectorParams or a map
/// of them, 404 for a missing one), <c>PUT /collections/{c}/points</c>, <c>POST /collections/{c}/points/count</c>
/// (CountRequest <c>exact</c> → CountResult <c>count</c>), <c>POST /collections/{c}/snapshots?wait=</c>
/// (SnapshotDescription name, creation_time, size, checksum), <c>GET /collections/{c}/snapshots</c>,
/// <c>GET /collections/{c}/snapshots/{name}</c> (application/octet-stream), <c>DELETE
/// /collections/{c}/snapshots/{name}</c>, <c>POST /collections/{c}/snapshots/upload?priority=&amp;wait=</c>
/// (multipart/form-data field <c>snapshot</c>; creates the collection or overwrites it).
/// Its snapshot file is its own: a tar holding <c>config.json</c> (the collection's params) and
/// <c>points.json</c>, so an uploaded snapshot really restores points and counts. A real snapshot is
/// also a tar, of segment files only Qdrant reads. It proves our client against the wire format, not
/// what a real server decides; scripts/qdrant-check.sh runs the round trip against a real one.
/// </summary>
internal sealed class FakeQdrantServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private int _snapshotNumber;

    private FakeQdrantServer(WebApplication app) => _app = app;

    /// <summary>The API key every request must carry; null: none required.</summary>
    public string? ApiKey { get; set; }

    /// <summary>When it returns true for "METHOD /path", the server answers 500 with an ErrorResponse.</summary>
    public Func<string, bool>? FailWhen { get; set; }

    /// <summary>Each snapshot download sends 64 KiB chunks with this pause between them (the cancellation and slow-dump cases).</summary>
    public TimeSpan DownloadPause { get; set; }

    /// <summary>When set, a snapshot download stops (connection aborted) after this many bytes.</summary>
    public long? AbortDownloadAfter { get; set; }

    public Dictionary<string, Collection> Collections { get; } = new(StringComparer.Ordinal);

    /// <summary>"METHOD /path?query" of every request, in order.</summary>
    public List<string> Requests { get; } = [];

    /// <summary>The api-key header of every request (null when absent).</summary>
    public List<string?> ApiKeysSeen { get; } = [];

    public int SnapshotsCreated { get; private set; }

    public int SnapshotsDeleted { get; private set; }

    /// <summary>Snapshot files still on the server, over all collections.</summary>
    public int SnapshotsLeft { get { lock (_lock) { return Collections.Values.Sum(c => c.Snapshots.Count); } } }

    public Uri Uri => new(_app.Urls.First() + "/");

    public string Connection => Uri.ToString().TrimEnd('/');

    public static async Task<FakeQdrantServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var fake = new FakeQdrantServer(app);
        app.Use(fake.GuardAsync);
        app.MapGet("/", () => Ok(new JsonObject { ["title"] = "qdrant - vector search engine (FAKE)", ["version"] = "1.12.4-fake" }));
        app.MapGet("/collections", fake.List);
        app.MapGet("/collections/{c}", (string c) => fake.Info(c));
        app.MapPut("/collections/{c}", (string c, HttpContext http) => fake.CreateAsync(c, http));
        app.MapDelete("/collections/{c}", (string c) => fake.Delete(c));
        app.MapPut("/collections/{c}/points", (string c, HttpContext http) => fake.UpsertAsync(c, http));
        app.MapPost("/collections/{c}/points/count", (string c) => fake.WithCollection(c, col => Ok(new JsonObject { ["count"] = col.Points.Count })));
        app.MapPost("/collections/{c}/snapshots", (string c) => fake.CreateSnapshot(c));
        app.MapGet("/collections/{c}/snapshots", (string c) => fake.WithCollection(c, col => Ok(new JsonArray(col.Snapshots.Select(s => (JsonNode?)Description(s.Key, s.Value)).ToArray()))));
        app.MapGet("/collections/{c}/snapshots/{name}", (string c, string name, HttpContext http) => fake.DownloadAsync(c, name, http));
        app.MapDelete("/collections/{c}/snapshots/{name}", (string c, string name) => fake.DeleteSnapshot(c, name));
        app.MapPost("/collections/{c}/snapshots/upload", (string c, HttpContext http) => fake.UploadAsync(c, http));
        await app.StartAsync();
        return fake;
    }

    /// <summary>One collection: its vectors config (VectorParams, or a map of named ones), points by id, and snapshot files.</summary>
    public sealed class Collection(JsonNode vectors)
    {
        public JsonNode Vectors { get; set; } = vectors;

        public SortedDictionary<string, JsonObject> Points { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, byte[]> Snapshots { get; } = new(StringComparer.Ordinal);
    }

    private async Task GuardAsync(HttpContext http, RequestDelegate next)
    {
        string request = $"{http.Request.Method} {http.Request.Path}{http.Request.QueryString}";
        string? key = http.Request.Headers.TryGetValue("api-key", out var k) ? k.ToString() : null;
        lock (_lock)
        {
            Requests.Add(request);
            ApiKeysSeen.Add(key);
        }

        if (ApiKey is not null && key != ApiKey)
        {
            http.Response.StatusCode = 401;
            await http.Response.WriteAsync("Must provide an API key or an Authorization bearer token");
            return;
        }

        if (FailWhen?.Invoke($"{http.Request.Method} {http.Request.Path}") == true)
        {
            await Error(500, "Service internal error: injected by the test\nsecond line of the server's message").ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    private IResult List()
    {
        lock (_lock)
        {
            var names = Collections.Keys.Select(n => (JsonNode?)new JsonObject { ["name"] = n }).ToArray();
            return Ok(new JsonObject { ["collections"] = new JsonArray(names) });
        }
    }

    private IResult Info(string c) => WithCollection(c, col => Ok(new JsonObject
    {
        ["status"] = "green",
        ["optimizer_status"] = "ok",
        ["indexed_vectors_count"] = 0,
        ["points_count"] = col.Points.Count,
        ["segments_count"] = 1,
        ["config"] = new JsonObject
        {
            ["params"] = new JsonObject { ["vectors"] = col.Vectors.DeepClone(), ["shard_number"] = 1, ["replication_factor"] = 1, ["write_consistency_factor"] = 1, ["on_disk_payload"] = true },
            ["hnsw_config"] = new JsonObject { ["m"] = 16, ["ef_construct"] = 100, ["full_scan_threshold"] = 10000, ["max_indexing_threads"] = 0, ["on_disk"] = false },
            ["optimizer_config"] = new JsonObject { ["deleted_threshold"] = 0.2, ["vacuum_min_vector_number"] = 1000, ["default_segment_number"] = 0, ["flush_interval_sec"] = 5 },
            ["wal_config"] = new JsonObject { ["wal_capacity_mb"] = 32, ["wal_segments_ahead"] = 0 },
            ["quantization_config"] = null,
        },
        ["payload_schema"] = new JsonObject(),
    }));

    private async Task<IResult> CreateAsync(string c, HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        lock (_lock)
        {
            if (Collections.ContainsKey(c))
            {
                return Error(409, $"Wrong input: Collection `{c}` already exists!");
            }

            Collections[c] = new Collection(body!["vectors"]!.DeepClone());
            return Ok(true);
        }
    }

    private IResult Delete(string c)
    {
        lock (_lock)
        {
            return Ok(Collections.Remove(c));
        }
    }

    private async Task<IResult> UpsertAsync(string c, HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        return WithCollection(c, col =>
        {
            foreach (var point in body!["points"]!.AsArray())
            {
                col.Points[point!["id"]!.ToJsonString()] = point.DeepClone().AsObject();
            }

            return Ok(new JsonObject { ["operation_id"] = 1, ["status"] = "completed" });
        });
    }

    private IResult CreateSnapshot(string c) => WithCollection(c, col =>
    {
        string name = $"{c}-{++_snapshotNumber}-2026-11-29-12-00-00.snapshot";
        col.Snapshots[name] = SnapshotFile(col);
        SnapshotsCreated++;
        return Ok(Description(name, col.Snapshots[name]));
    });

    private async Task<IResult> DownloadAsync(string c, string name, HttpContext http)
    {
        byte[] file;
        lock (_lock)
        {
            if (!Collections.TryGetValue(c, out var col) || !col.Snapshots.TryGetValue(name, out file!))
            {
                return Error(404, $"Not found: Snapshot {name} not found");
            }
        }

        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = file.Length;
        for (int sent = 0; sent < file.Length; sent += 65536)
        {
            int n = Math.Min(65536, file.Length - sent);
            if (AbortDownloadAfter is { } limit && sent + n > limit)
            {
                await http.Response.Body.WriteAsync(file.AsMemory(sent, (int)Math.Max(0, limit - sent)), http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                http.Abort();
                return Results.Empty;
            }

            await http.Response.Body.WriteAsync(file.AsMemory(sent, n), http.RequestAborted);
            if (DownloadPause > TimeSpan.Zero)
            {
                await http.Response.Body.FlushAsync(http.RequestAborted);
                await Task.Delay(DownloadPause, http.RequestAborted); // the fake server's pace, not a test's wait
            }
        }

        return Results.Empty;
    }

    private IResult DeleteSnapshot(string c, string name) => WithCollection(c, col =>
    {
        if (!col.Snapshots.Remove(name))
        {
            return Error(404, $"Not found: Snapshot {name} not found");
        }

        SnapshotsDeleted++;
        return Ok(true);
    });

    private async Task<IResult> UploadAsync(string c, HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form.Files.GetFile("snapshot") is not { } file)
        {
            return Error(400, "Bad request: the multipart form has no 'snapshot' field");
        }

        if (http.Request.Query["priority"] != "snapshot")
        {
            return Error(400, "Bad request: this fake only recovers with priority=snapshot (what the engine sends)");
        }

        Collection restored;
        try
        {
            await using var stream = file.OpenReadStream();
            restored = await ReadSnapshotAsync(stream);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException or NullReferenceException or IOException)
        {
            return Error(400, $"Wrong input: Snapshot is not valid: {e.Message}");
        }

        lock (_lock)
        {
            Collections[c] = restored; // creates the collection, or overwrites it, as the OpenAPI says
            return Ok(true);
        }
    }

    /// <summary>The fake's snapshot file: a tar of config.json and points.json.</summary>
    public static byte[] SnapshotFile(Collection collection)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(writer, "config.json", new JsonObject { ["params"] = new JsonObject { ["vectors"] = collection.Vectors.DeepClone() } }.ToJsonString());
            Add(writer, "points.json", new JsonArray(collection.Points.Values.Select(p => (JsonNode?)p.DeepClone()).ToArray()).ToJsonString());
        }

        return buffer.ToArray();
    }

    private static void Add(TarWriter writer, string name, string text) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });

    private static async Task<Collection> ReadSnapshotAsync(Stream stream)
    {
        JsonNode? config = null, points = null;
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
        {
            var json = await JsonNode.ParseAsync(entry.DataStream!);
            (entry.Name == "config.json" ? ref config : ref points) = json;
        }

        var collection = new Collection((config ?? throw new InvalidDataException("no config.json"))["params"]!["vectors"]!.DeepClone());
        foreach (var point in (points ?? throw new InvalidDataException("no points.json")).AsArray())
        {
            collection.Points[point!["id"]!.ToJsonString()] = point.DeepClone().AsObject();
        }

        return collection;
    }

    private IResult WithCollection(string c, Func<Collection, IResult> action)
    {
        lock (_lock)
        {
            return Collections.TryGetValue(c, out var col) ? action(col) : Error(404, $"Not found: Collection `{c}` doesn't exist!");
        }
    }

    private static JsonObject Description(string name, byte[] file) => new()
    {
        ["name"] = name,
        ["creation_time"] = "2026-11-29T12:00:00",
        ["size"] = file.Length,
        ["checksum"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)),
    };

    private static IResult Ok(JsonNode? result) =>
        Results.Content(new JsonObject { ["result"] = result, ["status"] = "ok", ["time"] = 0.001 }.ToJsonString(), "application/json");

    private static IResult Error(int status, string message) =>
        Results.Content(new JsonObject { ["status"] = new JsonObject { ["error"] = message }, ["time"] = 0.001, ["result"] = null }.ToJsonString(), "application/json", Encoding.UTF8, status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
