using BackupFunctions.Activities.Backups;
using Microsoft.DurableTask;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// A restore request (queue "restore-requests"): either <see cref="BackupId"/>, or <see cref="Target"/>
/// with <see cref="Latest"/>; <see cref="Destination"/> names a configured target. <see cref="RequestId"/>
/// is the queue message id: a redelivered message does not restore twice. With <see cref="Replace"/>,
/// <see cref="SafetyBackup"/> (true unless the message says false) backs the destination up first.
/// </summary>
public sealed record RestoreRequest(string? BackupId, string? Target, bool Latest, string? Destination, bool Replace, string? RequestedBy, string? RequestId = null,
    bool SafetyBackup = true)
{
    /// <summary>Why the request cannot be run as given; null when it is well-formed.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Destination))
        {
            return "missing 'destination' (the configured target to restore into)";
        }

        if (!SafetyBackup && !Replace)
        {
            return "'safetyBackup': false applies only with 'replace': true (nothing is replaced without it)";
        }

        bool byId = !string.IsNullOrWhiteSpace(BackupId);
        if (byId && Latest)
        {
            return "give either 'backupId', or 'target' with 'latest': true, not both";
        }

        if (!byId && !(Latest && !string.IsNullOrWhiteSpace(Target)))
        {
            return "missing 'backupId' (or 'target' with 'latest': true)";
        }

        // A backup id names its target: a request that names another target too is ambiguous, not a hint to ignore.
        return byId && !string.IsNullOrWhiteSpace(Target) && Vault.Catalog.BackupId.TryParse(BackupId, out var id) && id.Target != Target
            ? $"backup '{BackupId}' is of target '{id.Target}', not '{Target}' (give 'backupId' alone, or 'target' with 'latest': true)"
            : null;
    }
}

/// <summary>What became of a restore request; serialized as its name.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<RestoreStatus>))]
public enum RestoreStatus
{
    Restored,

    /// <summary>A redelivery of a request that was already restored.</summary>
    AlreadyRestored,

    /// <summary>The request itself is malformed.</summary>
    Rejected,

    Failed,

    /// <summary>Moved to the poison queue without running (malformed, unknown target or backup).</summary>
    Poisoned,
}

/// <summary>
/// Outcome of a restore request; <paramref name="Permanent"/> when retrying cannot help (unknown
/// backup, refused destination).
/// </summary>
public sealed record RestoreOutcome(RestoreStatus Status, string? BackupId, string? Destination, string Detail, bool Permanent = false, string? SafetyBackupId = null);

/// <summary>Validates the request, then restores (resolving "latest", idempotent on request id + backup id) and records the result.</summary>
public sealed class RestoreOrchestrator : TaskOrchestrator<RestoreRequest, RestoreOutcome>
{
    public override async Task<RestoreOutcome> RunAsync(TaskOrchestrationContext context, RestoreRequest request)
    {
        var log = context.CreateReplaySafeLogger<RestoreOrchestrator>();
        if (request.Problem() is { } problem)
        {
            Logs.RestoreRejected(log, request.RequestId, problem);
            return new RestoreOutcome(RestoreStatus.Rejected, request.BackupId, request.Destination, problem, Permanent: true);
        }

        try
        {
            // The safety backup's id is fixed here (replay-safe), so a retried attempt finds the safety backup it already took.
            string? safetyId = request.Replace && request.SafetyBackup
                ? Vault.Catalog.BackupId.New(request.Destination!, context.CurrentUtcDateTime, new Random(BitConverter.ToInt32(context.NewGuid().ToByteArray()))).Value
                : null;
            var output = await context.CallActivityAsync<RestoreDatabaseOutput>(TaskNames.Activities.RestoreDatabase,
                new RestoreDatabaseInput(request.BackupId, request.Destination!, request.Replace, request.Target, request.Latest, request.RequestId, request.RequestedBy,
                    request.SafetyBackup, safetyId),
                RetryPolicies.Options(RetryPolicies.RestoreDatabase));
            var status = output.AlreadyDone ? RestoreStatus.AlreadyRestored : output.CountsMatch ? RestoreStatus.Restored : RestoreStatus.Failed;
            return new RestoreOutcome(status, output.BackupId, output.Destination, output.Detail, SafetyBackupId: output.SafetyBackupId);
        }
        catch (TaskFailedException e)
        {
            string error = OrchestrationFailures.Describe(e);
            Logs.RestoreFailed(log, request.RequestId, error);
            return new RestoreOutcome(RestoreStatus.Failed, request.BackupId, request.Destination, error, OrchestrationFailures.IsPermanent(e));
        }
    }
}
