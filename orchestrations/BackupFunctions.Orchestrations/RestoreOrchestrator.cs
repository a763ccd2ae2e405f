using BackupFunctions.Activities.Backups;
using Microsoft.DurableTask;

using BackupFunctions.Orchestrations.Intake;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// A restore request (queue "restore-requests"): either <see cref="BackupId"/>, or <see cref="Target"/>
/// with <see cref="Latest"/>; <see cref="Destination"/> names a configured target, or
/// <see cref="DestinationSecret"/> a Key Vault secret holding the destination's connection string (a
/// connection string itself never travels in a message). <see cref="RequestId"/> is the queue message
/// id: a redelivered message does not restore twice. With <see cref="Replace"/>,
/// <see cref="SafetyBackup"/> (true unless the message says false) backs the destination up first.
/// </summary>
/// <param name="InsertedOn">When the message was queued, and <paramref name="DequeueCount"/> its delivery: set by the intake (never taken
/// from the message), they name and fill the outcome record.</param>
/// <param name="RecordFailure">Set by a host whose queue trigger does not wait for the outcome (the Azure app): the orchestration
/// then records a final failure too (as Rejected or Failed). serve waits, poisons the message and records "Poisoned" itself.</param>
public sealed record RestoreRequest(string? BackupId, string? Target, bool Latest, string? Destination, bool Replace, string? RequestedBy, string? RequestId = null,
    bool SafetyBackup = true, string? DestinationSecret = null, DateTimeOffset? InsertedOn = null, long DequeueCount = 0, bool RecordFailure = false)
{
    /// <summary>Why the request cannot be run as given; null when it is well-formed.</summary>
    public string? Problem()
    {
        bool bySecret = !string.IsNullOrWhiteSpace(DestinationSecret);
        if (string.IsNullOrWhiteSpace(Destination) && !bySecret)
        {
            return "missing 'destination' (the configured target to restore into), or 'destinationSecret' (a Key Vault secret holding its connection string)";
        }

        if (!string.IsNullOrWhiteSpace(Destination) && bySecret)
        {
            return "give either 'destination' or 'destinationSecret', not both";
        }

        if (bySecret && !IsSecretName(DestinationSecret!))
        {
            return "'destinationSecret' must name a Key Vault secret (1-127 letters, digits and hyphens); a connection string is never accepted in a message";
        }

        if (!SafetyBackup && !Replace)
        {
            return "'safetyBackup': false applies only with 'replace': true (nothing is replaced without it)";
        }

        if (bySecret && Replace && SafetyBackup)
        {
            // A safety backup needs a catalog of the destination; a secret destination has none yet. Refused rather
            // than replaced without one: the sender decides, in the message, to go without.
            return "'replace': true into a 'destinationSecret' cannot take a safety backup yet: name a configured target in 'destination', or add \"safetyBackup\": false";
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

    /// <summary>A Key Vault secret name: 1-127 ASCII letters, digits and hyphens (so never a connection string).</summary>
    public static bool IsSecretName(string name) =>
        name.Length is >= 1 and <= 127 && name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-');

    /// <summary>Where the request restores to, as records and messages name it: the target, or "secret:NAME".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string DestinationName => DestinationSecret is { } secret ? RestoreDatabaseInput.SecretDestination(secret) : Destination ?? "";
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
        var outcome = await RestoreAsync(context, request);
        if (request.RequestId is { } requestId && (IsRestored(outcome) || (request.RecordFailure && IsFinalFailure(outcome))))
        {
            // The outcome record `request-restore --wait` reads, written here so every host has it (the Azure queue
            // trigger returns once the orchestration starts). Write-once: a host that also records it changes nothing.
            try
            {
                await context.CallActivityAsync<string>(TaskNames.Activities.RecordRestore,
                    new RecordRestoreInput(requestId, outcome.Status, outcome.Detail, outcome.BackupId, request.InsertedOn, request.DequeueCount),
                    RetryPolicies.Options(RetryPolicies.RecordRestore));
            }
            catch (TaskFailedException e)
            {
                // The restore's outcome stands; only its record for `--wait` is missing (the host's own record may still land).
                Logs.RestoreFailed(context.CreateReplaySafeLogger<RestoreOrchestrator>(), requestId, "outcome record not written: " + OrchestrationFailures.Describe(e));
            }
        }

        return outcome;
    }

    private static bool IsRestored(RestoreOutcome outcome) => outcome.Status is RestoreStatus.Restored or RestoreStatus.AlreadyRestored;

    /// <summary>Failed in a way a redelivery cannot change (a transient failure may still be retried by a redelivery, so it is not recorded).</summary>
    private static bool IsFinalFailure(RestoreOutcome outcome) => outcome.Status is RestoreStatus.Rejected || outcome is { Status: RestoreStatus.Failed, Permanent: true };

    private static async Task<RestoreOutcome> RestoreAsync(TaskOrchestrationContext context, RestoreRequest request)
    {
        var log = context.CreateReplaySafeLogger<RestoreOrchestrator>();
        if (request.Problem() is { } problem)
        {
            Logs.RestoreRejected(log, request.RequestId, problem);
            return new RestoreOutcome(RestoreStatus.Rejected, request.BackupId, request.DestinationName, problem, Permanent: true);
        }

        try
        {
            // The safety backup's id is fixed here (replay-safe), so a retried attempt finds the safety backup it already took.
            string? safetyId = request.Replace && request.SafetyBackup
                ? Vault.Catalog.BackupId.New(request.Destination!, context.CurrentUtcDateTime, new Random(BitConverter.ToInt32(context.NewGuid().ToByteArray()))).Value
                : null;
            var output = await context.CallActivityAsync<RestoreDatabaseOutput>(TaskNames.Activities.RestoreDatabase,
                new RestoreDatabaseInput(request.BackupId, request.Destination ?? "", request.Replace, request.Target, request.Latest, request.RequestId, request.RequestedBy,
                    request.SafetyBackup, safetyId, DestinationSecret: request.DestinationSecret),
                RetryPolicies.Options(RetryPolicies.RestoreDatabase));
            var status = output.AlreadyDone ? RestoreStatus.AlreadyRestored : output.CountsMatch ? RestoreStatus.Restored : RestoreStatus.Failed;
            return new RestoreOutcome(status, output.BackupId, output.Destination, output.Detail, SafetyBackupId: output.SafetyBackupId);
        }
        catch (TaskFailedException e)
        {
            string error = OrchestrationFailures.Describe(e);
            Logs.RestoreFailed(log, request.RequestId, error);
            return new RestoreOutcome(RestoreStatus.Failed, request.BackupId, request.DestinationName, error, OrchestrationFailures.IsPermanent(e));
        }
    }
}
