using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The HTTP routes of README "HTTP", the same as the Azure app's: start backups, run status,
/// catalog, acknowledging a suspect backup, health. Errors are JSON {"error": "..."} with one line that names the problem.
/// </summary>
public static class HttpApi
{
    public static void Map(WebApplication app, BackupRuntime runtime, RunStarter runs)
    {
        string? apiKey = runtime.Options.Local.ApiKey;
        if (!string.IsNullOrEmpty(apiKey))
        {
            byte[] expected = Encoding.UTF8.GetBytes(apiKey);
            app.Use(async (context, next) =>
            {
                string? given = context.Request.Headers["x-api-key"].FirstOrDefault() ?? context.Request.Headers["x-functions-key"].FirstOrDefault();
                if (given is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected))
                {
                    await Error(StatusCodes.Status401Unauthorized, "missing or wrong API key (send it in the x-api-key header)").ExecuteAsync(context);
                    return;
                }

                await next(context);
            });
        }

        app.MapPost("/api/backups", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            string body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
            if (BackupRequest.Parse(body, out var targets) is { } problem)
            {
                return Error(StatusCodes.Status400BadRequest, problem);
            }

            RunStart start;
            try
            {
                start = await runs.StartAsync(targets, "http", request.HttpContext.RequestAborted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Error(Failures.RuleFor(e).HttpStatus, Failures.Describe(e)); // the one failure model's status and line
            }

            string location = $"/api/runs/{start.InstanceId}";
            return Results.Json(new { id = start.InstanceId, started = start.Started, alreadyRunning = start.AlreadyRunning, statusQueryGetUri = location },
                VaultJson.Options, statusCode: StatusCodes.Status202Accepted)
                .WithLocation(location);
        });

        app.MapGet("/api/runs/{id}", async (string id, CancellationToken cancellationToken) =>
            await RunStatus.FindAsync(runtime, runs.Client, id, cancellationToken) is { } run
                ? Results.Json(run, VaultJson.Options)
                : Error(StatusCodes.Status404NotFound, $"no run '{id}' (ids look like run-20261122T020000Z-3f9a, as returned by POST /api/backups)"));

        app.MapGet("/api/backups", async (string? target, CancellationToken cancellationToken) =>
        {
            if (target is not null && !runtime.Options.Targets.ContainsKey(target))
            {
                return Error(StatusCodes.Status400BadRequest, $"unknown target '{target}' (configured targets: {string.Join(", ", runtime.TargetNames)})");
            }

            var entries = await runtime.BackupCatalog().ListAsync(target, cancellationToken);
            return Results.Json(entries.Select(CatalogListing.Of), VaultJson.Options);
        });

        app.MapPost("/api/backups/{id}/ack", async (string id, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            string body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
            var answer = await AckIntake.HandleAsync(runtime, id, body, request.Headers[AckIntake.IdentityHeader].FirstOrDefault(), request.HttpContext.RequestAborted);
            return Results.Json(answer.Body, VaultJson.Options, statusCode: answer.Status);
        });

        app.MapGet("/api/health", async (CancellationToken cancellationToken) =>
        {
            // A plain uptime probe alerts: 503 (same body) when any target is late, failing, suspect or missing.
            var summary = await runtime.HealthCheck().SummarizeAsync(cancellationToken);
            return Results.Json(summary, VaultJson.Options, statusCode: summary.Status.IsBad() ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        });
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, VaultJson.Options, statusCode: status);

    private static LocationResult WithLocation(this IResult result, string location) => new(result, location);

    private sealed class LocationResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
