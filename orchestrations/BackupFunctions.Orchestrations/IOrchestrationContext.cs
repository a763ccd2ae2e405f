using Microsoft.Extensions.Logging;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// What an orchestrator may do, modelled on Durable Task's <c>TaskOrchestrationContext</c> so the
/// Azure host adapts it one call to one call. Orchestrators are replayed: they must be
/// deterministic, do no I/O, read time and new ids only from here, and await only tasks from here
/// (or Task.WhenAll/WhenAny over them).
/// </summary>
public interface IOrchestrationContext
{
    /// <summary>This orchestration instance's id.</summary>
    string InstanceId { get; }

    /// <summary>Replay-safe current time (UTC).</summary>
    DateTime CurrentUtcDateTime { get; }

    /// <summary>True while the orchestrator re-runs recorded history.</summary>
    bool IsReplaying { get; }

    /// <summary>Calls an activity by name; retries per <paramref name="retry"/> unless the failure is permanent.</summary>
    Task<TResult> CallActivityAsync<TResult>(string name, object? input, TaskRetry? retry = null);

    /// <summary>Calls another orchestrator by name as a sub-orchestration with its own instance id.</summary>
    Task<TResult> CallSubOrchestratorAsync<TResult>(string name, string instanceId, object? input);

    /// <summary>A durable timer.</summary>
    Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>A replay-safe new GUID.</summary>
    Guid NewGuid();

    /// <summary>Publishes a small status object for status queries.</summary>
    void SetCustomStatus(object? status);

    /// <summary>A logger that stays silent during replay.</summary>
    ILogger CreateReplaySafeLogger(string categoryName);
}

/// <summary>
/// A retry policy for one call, the same shape as Durable's <c>RetryPolicy</c>. Failures of kind
/// <see cref="PermanentFailure"/> (bad configuration, refused credentials) are never retried.
/// </summary>
public sealed record TaskRetry(int MaxAttempts, TimeSpan FirstRetryInterval, double BackoffCoefficient, TimeSpan MaxRetryInterval)
{
    /// <summary>The delay before attempt <paramref name="attempt"/> (2 = first retry).</summary>
    public TimeSpan DelayBefore(int attempt)
    {
        double factor = Math.Pow(BackoffCoefficient, Math.Max(0, attempt - 2));
        var delay = TimeSpan.FromTicks((long)(FirstRetryInterval.Ticks * factor));
        return delay > MaxRetryInterval ? MaxRetryInterval : delay;
    }
}
