using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations;
using Microsoft.Azure.Functions.Worker;

namespace BackupFunctions.Azure.Functions;

/// <summary>
/// One [Function] per activity class, each a one-line call. The classes run at least once and are
/// idempotent; InvokeAsync marks permanent failures, so the orchestrators' retry helper stops at once.
/// </summary>
public sealed class Activities(BackupRuntime runtime)
{
    [Function(TaskNames.Activities.BackupDatabase)]
    public Task<BackupDatabaseOutput> BackupDatabase([ActivityTrigger] BackupDatabaseInput input, CancellationToken cancellationToken) =>
        new BackupDatabaseActivity(runtime).InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.VerifyBackup)]
    public Task<VerifyBackupOutput> VerifyBackup([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        new VerifyBackupActivity(runtime).InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.RestoreTest)]
    public Task<RestoreTestOutput> RestoreTest([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        new RestoreTestActivity(runtime).InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.PruneBackups)]
    public Task<PruneBackupsOutput> PruneBackups([ActivityTrigger] PruneBackupsInput input, CancellationToken cancellationToken) =>
        new PruneBackupsActivity(runtime).InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.RestoreDatabase)]
    public Task<RestoreDatabaseOutput> RestoreDatabase([ActivityTrigger] RestoreDatabaseInput input, CancellationToken cancellationToken) =>
        new RestoreDatabaseActivity(runtime).InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.WriteRunReport)]
    public Task<string> WriteRunReport([ActivityTrigger] RunReport report, CancellationToken cancellationToken) =>
        new WriteRunReportActivity(runtime).InvokeAsync(report, cancellationToken);

    [Function(TaskNames.Activities.Notify)]
    public Task<NotifyOutput> Notify([ActivityTrigger] NotifyInput input, CancellationToken cancellationToken) =>
        new NotifyActivity(runtime).InvokeAsync(input, cancellationToken);
}
