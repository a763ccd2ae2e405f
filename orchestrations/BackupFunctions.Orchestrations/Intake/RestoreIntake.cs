using BackupFunctions.Activities.Restores;
using System.Text;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>
/// The one restore intake of both hosts' queue triggers: parse and validate a request, poison a
/// malformed or unknown one at once (to restore-requests-poison, with its reason recorded), and
/// start the Restore orchestration as restore-{requestId}, so a redelivered message joins the run
/// already going (and RestoreDatabase is idempotent on request id + backup id).
/// </summary>
public sealed class RestoreIntake(BackupRuntime runtime, IOrchestrationClient client)
{
    /// <summary>A restore request is a few hundred bytes; anything far larger is not one.</summary>
    public const int MaxMessageBytes = 8 * 1024;

    public static string InstanceId(string requestId) => $"restore-{requestId}";

    /// <summary>Reads and validates the JSON text of a request; returns the problem, or null with the request.</summary>
    public string? Parse(string text, out RestoreRequest? request)
    {
        request = null;
        if (SizeProblem(text) is { } tooBig)
        {
            return tooBig;
        }

        try
        {
            request = JsonSerializer.Deserialize<RestoreRequest>(text, TaskJson.Options);
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
            runtime.Resolve(request.Destination!);
            if (request.Target is not null)
            {
                runtime.Resolve(request.Target);
            }
        }
        catch (BackupConfigurationException e)
        {
            return e.Message;
        }

        return request.BackupId is not null && !BackupId.TryParse(request.BackupId, out _)
            ? $"'{request.BackupId}' is not a backup id (expected TARGET-yyyyMMddTHHmmssZ-xxxx)"
            : null;
    }

    /// <summary>Why a message is too large to be a restore request; null when it is not (checked before decoding too).</summary>
    public static string? SizeProblem(string text)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        return bytes > MaxMessageBytes ? $"message is {bytes} bytes; a restore request is at most {MaxMessageBytes} bytes" : null;
    }

    /// <summary>Starts the Restore orchestration of a valid request, or joins the one already active for it; returns its instance id.</summary>
    public async Task<string> StartAsync(RestoreRequest request, string requestId, CancellationToken cancellationToken)
    {
        string instanceId = InstanceId(requestId);
        try
        {
            await client.StartAsync(TaskNames.Orchestrators.Restore, instanceId, request with { RequestId = requestId }, StartRule.UnlessActive, cancellationToken);
        }
        catch (InstanceExistsException)
        {
            // A redelivery while the first delivery's restore still runs: follow that one.
        }

        return instanceId;
    }

    /// <summary>Moves a message to the poison queue unchanged (as the Functions host does) and records why.</summary>
    public async Task PoisonAsync(string requestId, BinaryData body, string reason, DateTimeOffset? insertedOn, long dequeueCount, CancellationToken cancellationToken)
    {
        var poison = RestoreQueues.For(runtime.Options.Storage, RestoreQueues.PoisonQueueName);
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(body, cancellationToken: cancellationToken);
        await RecordAsync(requestId, RestoreStatus.Poisoned, reason, null, insertedOn, dequeueCount, cancellationToken);
    }

    /// <summary>Records the outcome as runs/{yyyy}/{MM}/{dd}/restore-{requestId}.json (once: a later delivery finds it written).</summary>
    public async Task RecordAsync(string requestId, RestoreStatus status, string detail, string? backupId, DateTimeOffset? insertedOn, long dequeueCount,
        CancellationToken cancellationToken)
    {
        var at = runtime.Time.GetUtcNow();
        string blob = BlobLayout.RunReport(InstanceId(requestId), insertedOn ?? at);
        var record = new { requestId, status = status.ToString(), detail, backupId, dequeueCount, at };
        try
        {
            await runtime.Vault.EnsureContainerAsync(cancellationToken);
            await runtime.Vault.WriteOnceAsync(blob, VaultJson.Serialize(record), new Dictionary<string, string> { ["status"] = status.ToString() }, cancellationToken);
        }
        catch (VaultException)
        {
            // Already recorded by an earlier delivery of the same message.
        }
    }
}
