using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using Microsoft.DurableTask;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// A run over many targets: one TargetBackup sub-orchestration per target (instance id
/// {runId}-{target}), at most MaxParallelTargets at a time (refilled as each finishes), then the run
/// report is written and notifications go out for targets that started failing or recovered.
/// One failing target never stops the others.
/// </summary>
public sealed class BackupAllOrchestrator : TaskOrchestrator<BackupAllInput, RunReport>
{
    public override async Task<RunReport> RunAsync(TaskOrchestrationContext context, BackupAllInput input)
    {
        var log = context.CreateReplaySafeLogger<BackupAllOrchestrator>();
        var startedAt = context.CurrentUtcDateTime;
        int width = Math.Max(1, input.MaxParallelTargets);
        var targets = input.Targets.Distinct(StringComparer.Ordinal).ToList();
        var running = new List<(string Target, Task<TargetReport> Task)>();
        var reports = new Dictionary<string, TargetReport>(StringComparer.Ordinal);

        foreach (string target in targets)
        {
            if (running.Count == width)
            {
                await CollectOneAsync(running, reports);
            }

            running.Add((target, context.CallSubOrchestratorAsync<TargetReport>(TaskNames.Orchestrators.TargetBackup,
                new TargetBackupInput(target, context.InstanceId, input.Retry),
                new SubOrchestrationOptions(instanceId: $"{context.InstanceId}-{target}"))));
        }

        while (running.Count > 0)
        {
            await CollectOneAsync(running, reports);
        }

        var ordered = targets.Select(t => reports[t]).ToList();
        var status = ordered.All(r => r.Succeeded) ? RunState.Completed : RunState.Failed;
        var report = new RunReport(context.InstanceId, input.Trigger, startedAt, context.CurrentUtcDateTime, status, ordered);
        await context.CallActivityAsync<string>(TaskNames.Activities.WriteRunReport, report, RetryPolicies.Options(RetryPolicies.WriteRunReport));
        try
        {
            await context.CallActivityAsync<NotifyOutput>(TaskNames.Activities.Notify, new NotifyInput(report), RetryPolicies.Options(RetryPolicies.Notify));
        }
        catch (TaskFailedException e)
        {
            Logs.NotifyFailed(log, context.InstanceId, OrchestrationFailures.Describe(e)); // a lost notification never fails the backups it is about
        }

        int succeeded = ordered.Count(r => r.Succeeded);
        Logs.RunFinished(log, context.InstanceId, status, succeeded, ordered.Count);
        return report;
    }

    private static async Task CollectOneAsync(List<(string Target, Task<TargetReport> Task)> running, Dictionary<string, TargetReport> reports)
    {
        var done = await Task.WhenAny(running.Select(r => r.Task));
        int index = running.FindIndex(r => r.Task == done);
        string target = running[index].Target;
        running.RemoveAt(index);
        try
        {
            reports[target] = await done;
        }
        catch (TaskFailedException e)
        {
            // TargetBackup turns failures into reports; this catches a failure of the sub-orchestration itself.
            reports[target] = new TargetReport { Target = target, Outcome = TargetOutcome.Failed, Error = OrchestrationFailures.Describe(e) };
        }
    }
}
