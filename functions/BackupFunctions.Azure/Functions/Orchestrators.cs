using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace BackupFunctions.Azure.Functions;

/// <summary>One [Function] per orchestrator class (the Durable source generator is not served): no logic here.</summary>
public static class Orchestrators
{
    [Function(TaskNames.Orchestrators.BackupAll)]
    public static Task<RunReport> BackupAll([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new BackupAllOrchestrator().RunAsync(context, context.GetInput<BackupAllInput>()!);

    [Function(TaskNames.Orchestrators.TargetBackup)]
    public static Task<TargetReport> TargetBackup([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new TargetBackupOrchestrator().RunAsync(context, context.GetInput<TargetBackupInput>()!);

    [Function(TaskNames.Orchestrators.Restore)]
    public static Task<RestoreOutcome> Restore([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RestoreOrchestrator().RunAsync(context, context.GetInput<RestoreRequest>()!);
}
