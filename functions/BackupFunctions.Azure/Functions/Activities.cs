using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.Azure.Functions.Worker;

namespace BackupFunctions.Azure.Functions;

/// <summary>
/// One [Function] per activity class, each a one-line call. The classes run at least once and are
/// idempotent; InvokeAsync marks permanent failures, so the orchestrators' retry helper stops at once.
/// </summary>
public sealed class Activities(
    BackupDatabaseActivity backupDatabase,
    VerifyBackupActivity verifyBackup,
    CopyBackupActivity copyBackup,
    RestoreTestActivity restoreTest,
    CheckAnomalyActivity checkAnomaly,
    PruneBackupsActivity pruneBackups,
    RestoreDatabaseActivity restoreDatabase,
    WriteRunReportActivity writeRunReport,
    NotifyActivity notify,
    RecordRestoreActivity recordRestore)
{
    [Function(TaskNames.Activities.RecordRestore)]
    public Task<string> RecordRestore([ActivityTrigger] RecordRestoreInput input, CancellationToken cancellationToken) =>
        recordRestore.InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.BackupDatabase)]
    public Task<BackupDatabaseOutput> BackupDatabase([ActivityTrigger] BackupDatabaseInput input, CancellationToken cancellationToken) =>
        backupDatabase.InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.VerifyBackup)]
    public Task<VerifyBackupOutput> VerifyBackup([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        verifyBackup.InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.CopyBackup)]
    public Task<CopyBackupOutput> CopyBackup([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        copyBackup.InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.RestoreTest)]
    public Task<RestoreTestOutput> RestoreTest([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        restoreTest.InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.CheckAnomaly)]
    public Task<CheckAnomalyOutput> CheckAnomaly([ActivityTrigger] string backupId, CancellationToken cancellationToken) =>
        checkAnomaly.InvokeAsync(backupId, cancellationToken);

    [Function(TaskNames.Activities.PruneBackups)]
    public Task<PruneBackupsOutput> PruneBackups([ActivityTrigger] PruneBackupsInput input, CancellationToken cancellationToken) =>
        pruneBackups.InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.RestoreDatabase)]
    public Task<RestoreDatabaseOutput> RestoreDatabase([ActivityTrigger] RestoreDatabaseInput input, CancellationToken cancellationToken) =>
        restoreDatabase.InvokeAsync(input, cancellationToken);

    [Function(TaskNames.Activities.WriteRunReport)]
    public Task<string> WriteRunReport([ActivityTrigger] RunReport report, CancellationToken cancellationToken) =>
        writeRunReport.InvokeAsync(report, cancellationToken);

    [Function(TaskNames.Activities.Notify)]
    public Task<NotifyOutput> Notify([ActivityTrigger] NotifyInput input, CancellationToken cancellationToken) =>
        notify.InvokeAsync(input, cancellationToken);
}
