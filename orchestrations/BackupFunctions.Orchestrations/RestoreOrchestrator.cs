using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// A restore request (queue "restore-requests"): either <see cref="BackupId"/>, or <see cref="Target"/>
/// with <see cref="Latest"/>; <see cref="Destination"/> names a configured target. <see cref="RequestId"/>
/// is the queue message id: a redelivered message does not restore twice.
/// </summary>
public sealed record RestoreRequest(string? BackupId, string? Target, bool Latest, string? Destination, bool Replace, string? RequestedBy, string? RequestId = null)
{
    /// <summary>Why the request cannot be run as given; null when it is well-formed.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Destination))
        {
            return "missing 'destination' (the configured target to restore into)";
        }

        bool byId = !string.IsNullOrWhiteSpace(BackupId);
        bool byLatest = !string.IsNullOrWhiteSpace(Target) && Latest;
        return (byId, byLatest) switch
        {
            (true, true) => "give either 'backupId', or 'target' with 'latest': true, not both",
            (false, false) => "missing 'backupId' (or 'target' with 'latest': true)",
            _ => null,
        };
    }
}

/// <summary>
/// Outcome of a restore request: Restored, AlreadyRestored (a redelivery), Rejected (bad request) or
/// Failed; <paramref name="Permanent"/> when retrying cannot help (unknown backup, refused destination).
/// </summary>
public sealed record RestoreOutcome(string Status, string? BackupId, string? Destination, string Detail, bool Permanent = false);

/// <summary>Validates the request, then restores (resolving "latest", idempotent on request id + backup id) and records the result.</summary>
public static class RestoreOrchestrator
{
    public static async Task<RestoreOutcome> RunAsync(IOrchestrationContext context, RestoreRequest request)
    {
        var log = context.CreateReplaySafeLogger(typeof(RestoreOrchestrator).FullName!);
        if (request.Problem() is { } problem)
        {
            Logs.RestoreRejected(log, request.RequestId, problem);
            return new RestoreOutcome("Rejected", request.BackupId, request.Destination, problem, Permanent: true);
        }

        try
        {
            var output = await context.CallActivityAsync<RestoreDatabaseOutput>(TaskNames.Activities.RestoreDatabase,
                new RestoreDatabaseInput(request.BackupId, request.Destination!, request.Replace, request.Target, request.Latest, request.RequestId, request.RequestedBy),
                RetryPolicies.RestoreDatabase);
            string status = output.AlreadyDone ? "AlreadyRestored" : output.CountsMatch ? "Restored" : "Failed";
            return new RestoreOutcome(status, output.BackupId, output.Destination, output.Detail);
        }
        catch (Exception e)
        {
            string error = OrchestrationFailures.Describe(e);
            Logs.RestoreFailed(log, request.RequestId, error);
            return new RestoreOutcome("Failed", request.BackupId, request.Destination, error, Failures.IsPermanent(e));
        }
    }
}
