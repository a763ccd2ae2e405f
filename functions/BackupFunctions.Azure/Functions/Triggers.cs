using BackupFunctions.Activities.Restores;
using System.Net;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Azure.Functions;

/// <summary>
/// The timer, HTTP and queue triggers. Each hands its trigger to the intake the local host uses too
/// (RunStarter, RestoreIntake, DueTargets, RunStatus, HealthCheck): no decision is made here.
/// </summary>
public sealed partial class Triggers(BackupRuntime runtime, ILogger<Triggers> logger)
{
    /// <summary>How often the timer asks the due-targets decision; per-target schedules are honoured to this resolution.</summary>
    public const string Tick = "0 */5 * * * *";

    [Function("ScheduledBackup")]
    public async Task ScheduledBackup([TimerTrigger(Tick)] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var now = runtime.Time.GetUtcNow().UtcDateTime;
        var since = timer.ScheduleStatus?.Last is { } last && last > DateTime.MinValue ? last.ToUniversalTime() : now.AddMinutes(-5);
        using var runs = new RunStarter(runtime, new DurableClientAdapter(client));
        foreach (var slot in DueTargets.Between(runtime.Options, since, now))
        {
            var start = await runs.StartScheduledAsync(slot.At, slot.Targets, cancellationToken);
            Logs.TriggerTimerStarted(logger, start.InstanceId, start.Started);
        }
    }

    /// <summary>Hourly: announces targets that became late (or recovered) between runs, records the poison queue's length, purges old instances.</summary>
    [Function("HealthWatch")]
    public async Task HealthWatch([TimerTrigger("0 17 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var sent = await runtime.NotifyActivity().RunAsync(new NotifyInput(null), cancellationToken);
        int poison = await RestoreQueues.CountPoisonAsync(runtime.Options.Storage, cancellationToken); // the metric behind the poison-queue alert
        int purged = await new DurableClientAdapter(client).PurgeFinishedAsync(runtime.Time.GetUtcNow() - runtime.Options.Local.TaskHub.KeepHistory, cancellationToken);
        Logs.TriggerHealthWatch(logger, sent.Notifications.Count, poison, purged);
    }

    [Function("StartBackup")]
    public async Task<HttpResponseData> StartBackup(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "backups")] HttpRequestData request, [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        string body = await request.ReadAsStringAsync() ?? "";
        if (BackupRequest.Parse(body, out var targets) is { } problem)
        {
            return await JsonAsync(request, HttpStatusCode.BadRequest, new { error = problem });
        }

        RunStart start;
        try
        {
            using var runs = new RunStarter(runtime, new DurableClientAdapter(client));
            start = await runs.StartAsync(targets, "http", cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return await JsonAsync(request, (HttpStatusCode)Failures.RuleFor(e).HttpStatus, new { error = Failures.Describe(e) });
        }

        string location = $"/api/runs/{start.InstanceId}";
        var response = await JsonAsync(request, HttpStatusCode.Accepted,
            new { id = start.InstanceId, started = start.Started, alreadyRunning = start.AlreadyRunning, statusQueryGetUri = location });
        response.Headers.Add("Location", location);
        return response;
    }

    [Function("RunStatus")]
    public async Task<HttpResponseData> RunStatus(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{id}")] HttpRequestData request, string id, [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        await Orchestrations.Intake.RunStatus.FindAsync(runtime, new DurableClientAdapter(client), id, cancellationToken) is { } run
            ? await JsonAsync(request, HttpStatusCode.OK, run)
            : await JsonAsync(request, HttpStatusCode.NotFound, new { error = $"no run '{id}' (ids look like run-20261122T020000Z-3f9a, as returned by POST /api/backups)" });

    [Function("ListBackups")]
    public async Task<HttpResponseData> ListBackups(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "backups")] HttpRequestData request, CancellationToken cancellationToken)
    {
        string? target = System.Web.HttpUtility.ParseQueryString(request.Url.Query)["target"];
        var entries = await runtime.BackupCatalog().ListAsync(target, cancellationToken);
        return await JsonAsync(request, HttpStatusCode.OK, entries.Select(e => new { manifest = e.Manifest, lastVerify = e.LastVerify, lastRestoreTest = e.LastRestoreTest }));
    }

    /// <summary>200 when every target is ok; 503 with the same body when any is late, failing or missing, so an uptime probe alerts.</summary>
    [Function("Health")]
    public async Task<HttpResponseData> Health(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "health")] HttpRequestData request, CancellationToken cancellationToken)
    {
        var summary = await runtime.HealthCheck().SummarizeAsync(cancellationToken);
        return await JsonAsync(request, summary.Status.IsBad() ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, summary);
    }

    /// <summary>
    /// Restore requests (the Functions host has decoded the message per host.json). A malformed or
    /// unknown request goes to the poison queue at once with its reason recorded; a valid one starts
    /// the Restore orchestration as restore-{message id}, so a redelivery never restores twice.
    /// </summary>
    [Function("RestoreRequested")]
    public async Task RestoreRequested([QueueTrigger(RestoreQueues.QueueName, Connection = "BackupQueue")] QueueMessage message, [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        var intake = new RestoreIntake(runtime, new DurableClientAdapter(client));
        if (intake.Parse(message.Body, out var request) is { } problem)
        {
            await intake.PoisonAsync(message.MessageId, message.Body, problem, message.InsertedOn, message.DequeueCount, RestoreQueues.PoisonQueueName, cancellationToken);
            Logs.TriggerPoisoned(logger, message.MessageId, problem);
            return;
        }

        await intake.StartAsync(request!, message.MessageId, message.InsertedOn, message.DequeueCount, recordFailure: true, cancellationToken);
    }

    private static async Task<HttpResponseData> JsonAsync(HttpRequestData request, HttpStatusCode status, object value)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/json");
        await response.WriteStringAsync(JsonSerializer.Serialize(value, VaultJson.Options));
        return response;
    }
}
