using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations;
using Microsoft.Azure.Functions.Worker;

namespace BackupFunctions.Azure.Functions;

/// <summary>
/// One [Function] per activity, each a call into the host-neutral activity class. Activities run at
/// least once; the classes are idempotent. Permanent failures are marked so Durable does not retry.
/// </summary>
public sealed class Activities(BackupRuntime runtime)
{
    [Function(TaskNames.Activities.BackupDatabase)]
    public Task<BackupDatabaseOutput> BackupDatabase([ActivityTrigger] BackupDatabaseInput input, CancellationToken cancellationToken) =>
        Permanent(() => new BackupDatabaseActivity(runtime).RunAsync(input, null, cancellationToken));

    [Function(TaskNames.Activities.VerifyBackup)]
    public Task<VerifyBackupOutput> VerifyBackup([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        Permanent(() => new VerifyBackupActivity(runtime).RunAsync(backupId, null, cancellationToken));

    [Function(TaskNames.Activities.RestoreTest)]
    public Task<RestoreTestOutput> RestoreTest([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        Permanent(() => new RestoreTestActivity(runtime).RunAsync(backupId, null, cancellationToken));

    [Function(TaskNames.Activities.PruneBackups)]
    public Task<PruneBackupsOutput> PruneBackups([ActivityTrigger] PruneBackupsInput input, CancellationToken cancellationToken) =>
        Permanent(() => new PruneBackupsActivity(runtime).RunAsync(input, cancellationToken));

    [Function(TaskNames.Activities.RestoreDatabase)]
    public Task<RestoreDatabaseOutput> RestoreDatabase([ActivityTrigger] RestoreDatabaseInput input, CancellationToken cancellationToken) =>
        Permanent(() => new RestoreDatabaseActivity(runtime).RunAsync(input, null, cancellationToken));

    [Function(TaskNames.Activities.WriteRunReport)]
    public Task<string> WriteRunReport([ActivityTrigger] RunReport report, CancellationToken cancellationToken) =>
        Permanent(() => new WriteRunReportActivity(runtime).RunAsync(report, cancellationToken));

    [Function(TaskNames.Activities.Notify)]
    public Task<NotifyOutput> Notify([ActivityTrigger] NotifyInput input, CancellationToken cancellationToken) =>
        Permanent(() => new NotifyActivity(runtime).RunAsync(input, cancellationToken));

    private static async Task<T> Permanent<T>(Func<Task<T>> activity)
    {
        try
        {
            return await activity();
        }
        catch (Exception e) when (Failures.IsPermanent(e) && e is not PermanentFailureException)
        {
            throw new PermanentFailureException(e);
        }
    }
}
