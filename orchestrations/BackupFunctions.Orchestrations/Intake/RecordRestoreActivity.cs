using BackupFunctions.Activities.Backups;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>What the Restore orchestration records of a queued request's final outcome.</summary>
public sealed record RecordRestoreInput(string RequestId, RestoreStatus Status, string Detail, string? BackupId, DateTimeOffset? InsertedOn, long DequeueCount);

/// <summary>
/// Writes a queued restore's outcome record (runs/.../restore-{requestId}.json), the one `backupfn request-restore --wait`
/// follows, from the orchestration, so the Azure app (whose queue trigger returns once the orchestration starts) records
/// it as serve does. Write-once and idempotent: a record already written stays. Returns the record's blob name.
/// </summary>
public sealed class RecordRestoreActivity(BackupRuntime runtime, ActivityEnvironment? environment = null)
    : BackupActivity<RecordRestoreInput, string>(runtime.Loggers, environment)
{
    protected override async Task<string> ExecuteAsync(RecordRestoreInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        await RestoreIntake.RecordAsync(runtime, input.RequestId, input.Status, input.Detail, input.BackupId, input.InsertedOn, input.DequeueCount, cancellationToken);
        return RestoreIntake.RecordBlob(input.RequestId, input.InsertedOn ?? runtime.Time.GetUtcNow());
    }
}
