using BackupFunctions.Activities.Backups;
using BackupFunctions.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Azure;

/// <summary>
/// Adapts Durable's <see cref="TaskOrchestrationContext"/> to <see cref="IOrchestrationContext"/>, one
/// call to one call. A <see cref="TaskRetry"/> becomes a retry handler with the same attempts and
/// back-off that stops at once for <see cref="PermanentFailureException"/>.
/// </summary>
internal sealed class DurableContextAdapter(TaskOrchestrationContext context) : IOrchestrationContext
{
    public string InstanceId => context.InstanceId;

    public DateTime CurrentUtcDateTime => context.CurrentUtcDateTime;

    public bool IsReplaying => context.IsReplaying;

    public Task<TResult> CallActivityAsync<TResult>(string name, object? input, TaskRetry? retry = null) =>
        context.CallActivityAsync<TResult>(name, input, retry is null ? null : Options(retry));

    public Task<TResult> CallSubOrchestratorAsync<TResult>(string name, string instanceId, object? input) =>
        context.CallSubOrchestratorAsync<TResult>(name, input, new SubOrchestrationOptions(instanceId: instanceId));

    public Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => context.CreateTimer(fireAt, cancellationToken);

    public Guid NewGuid() => context.NewGuid();

    public void SetCustomStatus(object? status) => context.SetCustomStatus(status);

    public ILogger CreateReplaySafeLogger(string categoryName) => context.CreateReplaySafeLogger(categoryName);

    private static TaskOptions Options(TaskRetry retry) => TaskOptions.FromRetryHandler(async (RetryContext r) =>
    {
        if (r.LastAttemptNumber >= retry.MaxAttempts || r.LastFailure.IsCausedBy<PermanentFailureException>())
        {
            return false;
        }

        // A durable timer, so the back-off survives the function being unloaded.
        await r.OrchestrationContext.CreateTimer(retry.DelayBefore(r.LastAttemptNumber + 1), r.CancellationToken);
        return true;
    });
}
