using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Restores;
using BackupFunctions.Local.Engine;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The queue trigger of the local host, on "restore-requests", with the Functions host's rules
/// from host.json: messages are decoded per messageEncoding, hidden for visibilityTimeout while
/// handled, and retried by redelivery; a message that cannot succeed (malformed, unknown target or
/// backup, refused) goes to its poison queue ("restore-requests-poison") at once with its reason logged and recorded,
/// and any message seen more than maxDequeueCount times goes there too. The message id is the
/// request id, so a redelivered message never restores twice.
/// </summary>
public sealed partial class RestoreQueueListener(
    QueueClient queue, HostSettings settings, RestoreIntake intake, DurableEngine engine, BackupRuntime runtime,
    ILogger<RestoreQueueListener> logger) : BackgroundService
{
    /// <summary>How long to wait when the queue is empty.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        Logs.QueueListening(logger, queue.Name, settings.MaxDequeueCount, settings.VisibilityTimeout, settings.MessageEncoding);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(settings.BatchSize, settings.VisibilityTimeout, stoppingToken)).Value;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Logs.QueueReceiveFailed(logger, e.Message);
                await Task.Delay(PollInterval * 5, runtime.Time, stoppingToken);
                continue;
            }

            if (messages.Length == 0)
            {
                await Task.Delay(PollInterval, runtime.Time, stoppingToken);
                continue;
            }

            await Task.WhenAll(messages.Select(m => HandleAsync(m, stoppingToken)));
        }
    }

    /// <summary>Handles one message: completes it, leaves it for redelivery, or poisons it.</summary>
    internal async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        if (message.DequeueCount > settings.MaxDequeueCount)
        {
            await PoisonAsync(message, $"gave up after {settings.MaxDequeueCount} attempts (maxDequeueCount in host.json)", cancellationToken);
            return;
        }

        if (Parse(message, out var request) is { } problem)
        {
            await PoisonAsync(message, problem, cancellationToken);
            return;
        }

        // The orchestration runs on the engine (here or in another process on the hub); this
        // delivery waits for its outcome to complete, poison or leave the message for redelivery.
        string instance = await intake.StartAsync(request!, message.MessageId, message.InsertedOn, message.DequeueCount, recordFailure: false, cancellationToken);
        var done = await engine.WaitAsync(instance, cancellationToken, TimeSpan.FromMilliseconds(200));
        var outcome = done.SerializedOutput is { } output
            ? JsonSerializer.Deserialize<RestoreOutcome>(output, TaskJson.Options)!
            : new RestoreOutcome(RestoreStatus.Failed, request!.BackupId, request.DestinationName, $"restore orchestration ended {done.State}: {done.FailureMessage}");

        switch (outcome.Status)
        {
            case RestoreStatus.Restored or RestoreStatus.AlreadyRestored:
                await intake.RecordAsync(message.MessageId, outcome.Status, outcome.Detail, outcome.BackupId, message.InsertedOn, message.DequeueCount, cancellationToken);
                await DeleteAsync(message, cancellationToken);
                Logs.QueueRestored(logger, message.MessageId, outcome.Status, outcome.Detail);
                break;
            case RestoreStatus.Rejected:
            case RestoreStatus.Failed when outcome.Permanent:
                await PoisonAsync(message, outcome.Detail, cancellationToken);
                break;
            default:
                // Transient: the message becomes visible again after the visibility timeout.
                Logs.QueueWillRetry(logger, message.MessageId, message.DequeueCount, settings.MaxDequeueCount, RestoreIntake.OneLine(outcome.Detail));
                break;
        }
    }

    /// <summary>Decodes and validates a message; returns the problem, or null with the request.</summary>
    internal string? Parse(QueueMessage message, out RestoreRequest? request)
    {
        request = null;
        string raw = message.Body.ToString();
        if (RestoreIntake.SizeProblem(raw) is { } tooBig)
        {
            return tooBig; // before decoding: a huge message is not decoded at all
        }

        if (settings.MessageEncoding != "base64")
        {
            return intake.Parse(raw, out request);
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(raw);
        }
        catch (FormatException)
        {
            return "message is not base64 (host.json extensions.queues.messageEncoding is base64; encode the JSON, as QueueClient with MessageEncoding = Base64 does)";
        }

        return intake.Parse(new BinaryData(decoded), out request);
    }

    private async Task PoisonAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        // The original body goes to the poison queue unchanged, as the Functions host does.
        await intake.PoisonAsync(message.MessageId, message.Body, reason, message.InsertedOn, message.DequeueCount, RestoreQueues.PoisonOf(queue.Name), cancellationToken);
        await DeleteAsync(message, cancellationToken);
        Logs.QueuePoisoned(logger, message.MessageId, RestoreIntake.OneLine(reason));
    }

    private async Task DeleteAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // Already gone: another delivery of the same message finished first.
        }
    }
}
