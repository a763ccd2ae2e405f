using System.Net;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Orchestrations;
using BackupFunctions.Vault.Catalog;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Azure.Functions;

/// <summary>
/// The timer, HTTP and queue triggers: each turns its trigger into "start orchestration X with input
/// Y" (or a catalog/health read), using the same host-neutral code as the local host.
/// </summary>
public sealed partial class Triggers(BackupRuntime runtime, ILogger<Triggers> logger)
{
    [Function("ScheduledBackup")]
    public async Task ScheduledBackup([TimerTrigger("%BackupSchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client)
    {
        string id = await client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Orchestrators.BackupAll,
            new BackupAllInput(runtime.TargetNames, runtime.Options.MaxParallelTargets, "timer"));
        LogTimerStarted(logger, id);
    }

    /// <summary>Hourly: announces targets that became late (or recovered) between runs. Calls the activity class directly; no orchestration needed.</summary>
    [Function("HealthWatch")]
    public async Task HealthWatch([TimerTrigger("0 17 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var sent = await new NotifyActivity(runtime).RunAsync(new NotifyInput(null), cancellationToken);
        int poison = await RestoreQueues.CountPoisonAsync(runtime, cancellationToken); // the metric behind the poison-queue alert
        LogHealthWatch(logger, sent.Notifications.Count, poison);
    }

    [Function("StartBackup")]
    public async Task<HttpResponseData> StartBackup(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "backups")] HttpRequestData request, [DurableClient] DurableTaskClient client)
    {
        string body = await request.ReadAsStringAsync() ?? "";
        if (BackupRequest.Parse(body, out var targets) is { } problem)
        {
            return await ErrorAsync(request, HttpStatusCode.BadRequest, problem);
        }

        var selected = targets.Count == 0 ? runtime.TargetNames : targets.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (selected.FirstOrDefault(t => !runtime.Options.Targets.ContainsKey(t)) is { } unknown)
        {
            return await ErrorAsync(request, HttpStatusCode.BadRequest, $"unknown target '{unknown}' (configured targets: {string.Join(", ", runtime.TargetNames)})");
        }

        // One instance id per target set: a second request while it runs joins it instead of starting a duplicate.
        string instanceId = "backup-" + string.Join("+", selected);
        var existing = await client.GetInstanceAsync(instanceId);
        if (existing is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending })
        {
            return await client.CreateCheckStatusResponseAsync(request, instanceId);
        }

        await client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Orchestrators.BackupAll,
            new BackupAllInput(selected, runtime.Options.MaxParallelTargets, "http"), new StartOrchestrationOptions(instanceId));
        return await client.CreateCheckStatusResponseAsync(request, instanceId);
    }

    [Function("RunStatus")]
    public static async Task<HttpResponseData> RunStatus(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{id}")] HttpRequestData request, string id, [DurableClient] DurableTaskClient client)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true);
        if (instance is null)
        {
            return await ErrorAsync(request, HttpStatusCode.NotFound, $"no run '{id}'");
        }

        return await JsonAsync(request, HttpStatusCode.OK, new
        {
            id,
            status = instance.RuntimeStatus.ToString(),
            createdAt = instance.CreatedAt,
            lastUpdatedAt = instance.LastUpdatedAt,
            report = instance.SerializedOutput is null ? (JsonElement?)null : JsonDocument.Parse(instance.SerializedOutput).RootElement,
        });
    }

    [Function("ListBackups")]
    public async Task<HttpResponseData> ListBackups(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "backups")] HttpRequestData request, CancellationToken cancellationToken)
    {
        string? target = System.Web.HttpUtility.ParseQueryString(request.Url.Query)["target"];
        var entries = await new BackupCatalog(runtime).ListAsync(target, cancellationToken);
        return await JsonAsync(request, HttpStatusCode.OK, entries.Select(e => new { manifest = e.Manifest, lastVerify = e.LastVerify, lastRestoreTest = e.LastRestoreTest }));
    }

    [Function("Health")]
    public async Task<HttpResponseData> Health(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "health")] HttpRequestData request, CancellationToken cancellationToken)
    {
        var targets = await new HealthCheck(runtime).EvaluateAsync(cancellationToken);
        string overall = targets.Any(t => t.Status == "failing") ? "failing" : targets.Any(t => t.Status == "late") ? "late" : "ok";
        return await JsonAsync(request, HttpStatusCode.OK, new { status = overall, targets });
    }

    /// <summary>
    /// Restore requests. A bad message throws with its reason, so the Functions host retries it up to
    /// maxDequeueCount (host.json) and then moves it to restore-requests-poison. The message id is the
    /// request id: a redelivered message joins (or finds) the same orchestration instance.
    /// </summary>
    [Function("RestoreRequested")]
    public static async Task RestoreRequested([QueueTrigger(RestoreQueues.QueueName, Connection = "BackupQueue")] QueueMessage message, [DurableClient] DurableTaskClient client)
    {
        RestoreRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<RestoreRequest>(message.Body.ToString(), ActivityRegistry.Json);
        }
        catch (JsonException e)
        {
            throw new PermanentFailureException($"restore request {message.MessageId} is not valid JSON: {e.Message}");
        }

        if (request?.Problem() is { } problem || request is null)
        {
            throw new PermanentFailureException($"restore request {message.MessageId} rejected: {request?.Problem() ?? "empty message"}");
        }

        string instanceId = $"restore-{message.MessageId}";
        if (await client.GetInstanceAsync(instanceId) is null)
        {
            await client.ScheduleNewOrchestrationInstanceAsync(TaskNames.Orchestrators.Restore,
                request with { RequestId = message.MessageId }, new StartOrchestrationOptions(instanceId));
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Timer started run {RunId}")]
    private static partial void LogTimerStarted(ILogger logger, string runId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Health watch sent {Count} notification(s); {Poison} message(s) in the poison queue")]
    private static partial void LogHealthWatch(ILogger logger, int count, int poison);

    private static async Task<HttpResponseData> JsonAsync(HttpRequestData request, HttpStatusCode status, object value)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/json");
        await response.WriteStringAsync(JsonSerializer.Serialize(value, VaultJson.Options));
        return response;
    }

    private static Task<HttpResponseData> ErrorAsync(HttpRequestData request, HttpStatusCode status, string message) =>
        JsonAsync(request, status, new { error = message });
}
