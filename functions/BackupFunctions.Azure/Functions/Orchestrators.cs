using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace BackupFunctions.Azure.Functions;

/// <summary>One [Function] per orchestrator: adapt the context, call the host-neutral orchestrator. No logic here.</summary>
public static class Orchestrators
{
    [Function(TaskNames.Orchestrators.BackupAll)]
    public static Task<RunReport> BackupAll([OrchestrationTrigger] TaskOrchestrationContext context) =>
        BackupAllOrchestrator.RunAsync(new DurableContextAdapter(context), context.GetInput<BackupAllInput>()!);

    [Function(TaskNames.Orchestrators.TargetBackup)]
    public static Task<TargetReport> TargetBackup([OrchestrationTrigger] TaskOrchestrationContext context) =>
        TargetBackupOrchestrator.RunAsync(new DurableContextAdapter(context), context.GetInput<TargetBackupInput>()!);

    [Function(TaskNames.Orchestrators.Restore)]
    public static Task<RestoreOutcome> Restore([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RestoreOrchestrator.RunAsync(new DurableContextAdapter(context), context.GetInput<RestoreRequest>()!);
}
