using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.DurableTask;

namespace BackupFunctions.Local.Engine;

/// <summary>
/// What the local worker runs under each task name: the local counterpart of the Azure app's
/// [Function] wrappers. A factory per name, because the engine wants a new object per execution.
/// </summary>
public sealed record TaskRegistrations(IReadOnlyDictionary<string, Func<ITaskOrchestrator>> Orchestrators, IReadOnlyDictionary<string, Func<ITaskActivity>> Activities)
{
    /// <summary>The product's orchestrators and activities over <paramref name="runtime"/>.</summary>
    public static TaskRegistrations For(BackupRuntime runtime, ActivityEnvironment environment) => new(
        new Dictionary<string, Func<ITaskOrchestrator>>(StringComparer.Ordinal)
        {
            [TaskNames.Orchestrators.BackupAll] = () => new BackupAllOrchestrator(),
            [TaskNames.Orchestrators.TargetBackup] = () => new TargetBackupOrchestrator(),
            [TaskNames.Orchestrators.Restore] = () => new RestoreOrchestrator(),
        },
        new Dictionary<string, Func<ITaskActivity>>(StringComparer.Ordinal)
        {
            [TaskNames.Activities.BackupDatabase] = () => runtime.BackupDatabaseActivity(environment),
            [TaskNames.Activities.VerifyBackup] = () => runtime.VerifyBackupActivity(environment),
            [TaskNames.Activities.CopyBackup] = () => runtime.CopyBackupActivity(environment),
            [TaskNames.Activities.RestoreTest] = () => runtime.RestoreTestActivity(environment),
            [TaskNames.Activities.CheckAnomaly] = () => runtime.CheckAnomalyActivity(environment),
            [TaskNames.Activities.PruneBackups] = () => runtime.PruneBackupsActivity(environment),
            [TaskNames.Activities.RestoreDatabase] = () => runtime.RestoreDatabaseActivity(environment),
            [TaskNames.Activities.WriteRunReport] = () => runtime.WriteRunReportActivity(environment),
            [TaskNames.Activities.Notify] = () => runtime.NotifyActivity(environment),
            [TaskNames.Activities.RecordRestore] = () => new RecordRestoreActivity(runtime, environment),
        });

    /// <summary>A copy with <paramref name="name"/> run by <paramref name="activity"/> instead.</summary>
    public TaskRegistrations WithActivity(string name, Func<ITaskActivity> activity) =>
        this with { Activities = new Dictionary<string, Func<ITaskActivity>>(Activities, StringComparer.Ordinal) { [name] = activity } };

    /// <summary>A copy with orchestrator <paramref name="name"/> added or replaced.</summary>
    public TaskRegistrations WithOrchestrator(string name, Func<ITaskOrchestrator> orchestrator) =>
        this with { Orchestrators = new Dictionary<string, Func<ITaskOrchestrator>>(Orchestrators, StringComparer.Ordinal) { [name] = orchestrator } };
}
