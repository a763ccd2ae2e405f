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
        runtime.BackupDatabaseActivity().InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.VerifyBackup)]
    public Task<VerifyBackupOutput> VerifyBackup([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        runtime.VerifyBackupActivity().InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.RestoreTest)]
    public Task<RestoreTestOutput> RestoreTest([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        runtime.RestoreTestActivity().InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.PruneBackups)]
    public Task<PruneBackupsOutput> PruneBackups([ActivityTrigger] PruneBackupsInput input, CancellationToken cancellationToken) =>
        runtime.PruneBackupsActivity().InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.RestoreDatabase)]
    public Task<RestoreDatabaseOutput> RestoreDatabase([ActivityTrigger] RestoreDatabaseInput input, CancellationToken cancellationToken) =>
        runtime.RestoreDatabaseActivity().InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.WriteRunReport)]
    public Task<string> WriteRunReport([ActivityTrigger] RunReport report, CancellationToken cancellationToken) =>
        runtime.WriteRunReportActivity().InvokeAsync(report, cancellationToken);

    [Function(TaskNames.Activities.Notify)]
    public Task<NotifyOutput> Notify([ActivityTrigger] NotifyInput input, CancellationToken cancellationToken) =>
        runtime.NotifyActivity().InvokeAsync(input, cancellationToken);
}
