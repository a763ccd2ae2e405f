using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Local.Orchestration;
using BackupFunctions.Orchestrations;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The queue trigger of the local host, on "restore-requests", with the Functions host's rules
/// from host.json: messages are decoded per messageEncoding, hidden for visibilityTimeout while
/// handled, and retried by redelivery; a message that cannot succeed (malformed, unknown target or
/// backup, refused) goes to "restore-requests-poison" at once with its reason logged and recorded,
/// and any message seen more than maxDequeueCount times goes there too. The message id is the
/// request id, so a redelivered message never restores twice.
/// </summary>
public sealed partial class RestoreQueueListener(
    QueueClient queue, QueueClient poison, HostSettings settings, InProcessOrchestrationHost host, BackupRuntime runtime,
    ILogger<RestoreQueueListener> logger) : BackgroundService
{

    /// <summary>A restore request is a few hundred bytes; anything far larger is not one.</summary>
    public const int MaxMessageBytes = 8 * 1024;

    /// <summary>How long to wait when the queue is empty.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        LogListening(logger, queue.Name, settings.MaxDequeueCount, settings.VisibilityTimeout, settings.MessageEncoding);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(settings.BatchSize, settings.VisibilityTimeout, stoppingToken)).Value;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReceiveFailed(logger, e.Message);
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

        string instance = $"restore-{message.MessageId}";
        RestoreOutcome outcome;
        try
        {
            string json = await host.StartAsync(TaskNames.Orchestrators.Restore, instance, request! with { RequestId = message.MessageId }, cancellationToken);
            outcome = JsonSerializer.Deserialize<RestoreOutcome>(json, ActivityRegistry.Json)!;
        }
        finally
        {
            host.ForgetFinished(instance); // a redelivery runs the (idempotent) orchestration again
        }

        switch (outcome.Status)
        {
            case "Restored" or "AlreadyRestored":
                await RecordAsync(message, outcome.Status, outcome.Detail, outcome.BackupId, cancellationToken);
                await DeleteAsync(message, cancellationToken);
                LogRestored(logger, message.MessageId, outcome.Status, outcome.Detail);
                break;
            case "Rejected":
            case "Failed" when outcome.Permanent:
                await PoisonAsync(message, outcome.Detail, cancellationToken);
                break;
            default:
                // Transient: the message becomes visible again after the visibility timeout.
                LogWillRetry(logger, message.MessageId, message.DequeueCount, settings.MaxDequeueCount, outcome.Detail);
                break;
        }
    }

    /// <summary>Decodes and validates a message; returns the problem, or null with the request.</summary>
    internal string? Parse(QueueMessage message, out RestoreRequest? request)
    {
        request = null;
        string raw = message.Body.ToString();
        if (Encoding.UTF8.GetByteCount(raw) > MaxMessageBytes)
        {
            return $"message is {Encoding.UTF8.GetByteCount(raw)} bytes; a restore request is at most {MaxMessageBytes} bytes";
        }

        string text;
        if (settings.MessageEncoding == "base64")
        {
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(raw));
            }
            catch (FormatException)
            {
                return "message is not base64 (host.json extensions.queues.messageEncoding is base64; encode the JSON, as QueueClient with MessageEncoding = Base64 does)";
            }
        }
        else
        {
            text = raw;
        }

        try
        {
            request = JsonSerializer.Deserialize<RestoreRequest>(text, ActivityRegistry.Json);
        }
        catch (JsonException e)
        {
            return $"message is not a valid restore request JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}";
        }

        if (request is null)
        {
            return "message is JSON null, not a restore request";
        }

        if (request.Problem() is { } problem)
        {
            return problem;
        }

        try
        {
            var destination = runtime.Resolve(request.Destination!);
            if (request.Target is not null)
            {
                runtime.Resolve(request.Target);
            }

            if (request.BackupId is not null && !BackupId.TryParse(request.BackupId, out _))
            {
                return $"'{request.BackupId}' is not a backup id (expected TARGET-yyyyMMddTHHmmssZ-xxxx)";
            }

            _ = destination;
        }
        catch (BackupConfigurationException e)
        {
            return e.Message;
        }

        return null;
    }

    private async Task PoisonAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        // The original body goes to the poison queue unchanged, as the Functions host does.
        await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await DeleteAsync(message, cancellationToken);
        await RecordAsync(message, "Poisoned", reason, null, cancellationToken);
        LogPoisoned(logger, message.MessageId, reason);
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

    /// <summary>Records the outcome as runs/{yyyy}/{MM}/{dd}/restore-{messageId}.json (once).</summary>
    private async Task RecordAsync(QueueMessage message, string status, string detail, string? backupId, CancellationToken cancellationToken)
    {
        var at = runtime.Time.GetUtcNow();
        string blob = BlobLayout.RunReport($"restore-{message.MessageId}", message.InsertedOn ?? at);
        var record = new { requestId = message.MessageId, status, detail, backupId, dequeueCount = message.DequeueCount, at };
        try
        {
            await runtime.Vault.EnsureContainerAsync(cancellationToken);
            await runtime.Vault.WriteOnceAsync(blob, VaultJson.Serialize(record), new Dictionary<string, string> { ["status"] = status }, cancellationToken);
        }
        catch (VaultException)
        {
            // Already recorded by an earlier delivery of the same message.
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Listening on queue {Queue} (maxDequeueCount {MaxDequeueCount}, visibility {Visibility}, encoding {Encoding})")]
    private static partial void LogListening(ILogger logger, string queue, int maxDequeueCount, TimeSpan visibility, string encoding);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Restore request {MessageId} moved to the poison queue: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Restore request {MessageId}: {Status}: {Detail}")]
    private static partial void LogRestored(ILogger logger, string messageId, string status, string detail);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Restore request {MessageId} failed (attempt {Attempt} of {Max}), will be redelivered: {Detail}")]
    private static partial void LogWillRetry(ILogger logger, string messageId, long attempt, int max, string detail);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Receiving from the restore queue failed, retrying: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, string error);
}
