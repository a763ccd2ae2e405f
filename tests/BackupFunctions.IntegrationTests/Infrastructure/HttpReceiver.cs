using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// A local HTTP endpoint that records every POST (path, content type, body): a webhook for the
/// notification tests (JSON bodies in <see cref="Bodies"/>; 503 to the first <see cref="FailFirst"/>
/// requests), an OTLP/HTTP receiver for the telemetry tests, and a dead-man ping monitor (GETs in <see cref="Gets"/>).
/// </summary>
internal sealed class HttpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private HttpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonObject> Bodies { get; } = new();
    public ConcurrentQueue<(string Path, string ContentType, byte[] Body)> Received { get; } = new();

    /// <summary>Paths of GET requests (a dead-man ping), in order.</summary>
    public ConcurrentQueue<string> Gets { get; } = new();
    public int FailFirst { get; set; }
    public bool AlwaysFail { get; set; }
    public int Requests => _requests;
    public string BaseUrl => _app.Urls.First();
    public string Url => BaseUrl + "/hooks/T000/B000/secret-token-xyz";

    public static async Task<HttpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new HttpReceiver(app);
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            int n = Interlocked.Increment(ref receiver._requests);
            if (receiver.AlwaysFail || n <= receiver.FailFirst)
            {
                return Results.StatusCode(503);
            }

            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            receiver.Received.Enqueue((http.Request.Path, http.Request.ContentType ?? "", body.ToArray()));
            if (http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true)
            {
                receiver.Bodies.Enqueue(JsonNode.Parse(body.ToArray())!.AsObject());
            }

            return Results.Ok();
        });
        app.MapGet("/{**path}", (HttpContext http) =>
        {
            receiver.Gets.Enqueue(http.Request.Path);
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
