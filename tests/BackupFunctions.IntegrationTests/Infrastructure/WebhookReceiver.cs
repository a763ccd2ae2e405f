using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>A local webhook: records every body; answers 503 to the first <see cref="FailFirst"/> requests.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonObject> Bodies { get; } = new();
    public int FailFirst { get; set; }
    public bool AlwaysFail { get; set; }
    public int Requests => _requests;
    public string Url => _app.Urls.First() + "/hooks/T000/B000/secret-token-xyz";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{*path}", async (HttpContext http) =>
        {
            int n = Interlocked.Increment(ref receiver._requests);
            if (receiver.AlwaysFail || n <= receiver.FailFirst)
            {
                return Results.StatusCode(503);
            }

            receiver.Bodies.Enqueue((await JsonNode.ParseAsync(http.Request.Body))!.AsObject());
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
