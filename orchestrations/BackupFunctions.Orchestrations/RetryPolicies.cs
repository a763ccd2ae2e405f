using BackupFunctions.Activities.Backups;
using Microsoft.DurableTask;

namespace BackupFunctions.Orchestrations;

/// <summary>Attempts and back-off of one activity call.</summary>
public sealed record RetrySchedule(int MaxAttempts, TimeSpan FirstRetryInterval, double BackoffCoefficient, TimeSpan MaxRetryInterval)
{
    /// <summary>The delay before attempt <paramref name="attempt"/> (2 = first retry).</summary>
    public TimeSpan DelayBefore(int attempt)
    {
        double factor = Math.Pow(BackoffCoefficient, Math.Max(0, attempt - 2));
        var delay = TimeSpan.FromTicks((long)(FirstRetryInterval.Ticks * factor));
        return delay > MaxRetryInterval ? MaxRetryInterval : delay;
    }
}

/// <summary>
/// The one retry helper of every orchestrator. Transient failures (server unreachable, storage
/// hiccup) are retried after a durable timer, so the back-off survives the host being unloaded or
/// killed; a permanent failure stops at once. Permanence is read from the failure's type AND from
/// <see cref="Failures.PermanentMarker"/> in its message, because in the isolated Functions model the
/// type of an async activity's exception may not reach the orchestrator (DURABLE.md).
/// </summary>
public static class RetryPolicies
{
    /// <summary>A dump is expensive: few attempts, long pauses (a server restart, a failover).</summary>
    public static RetrySchedule BackupDatabase { get; } = new(3, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5));

    /// <summary>Verification re-reads storage only.</summary>
    public static RetrySchedule VerifyBackup { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(2));

    /// <summary>A copy re-reads and writes storage only (two accounts); a different blob already in the copy is permanent.</summary>
    public static RetrySchedule CopyBackup { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(2));

    /// <summary>A restore test needs the scratch server.</summary>
    public static RetrySchedule RestoreTest { get; } = new(2, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5));

    /// <summary>The anomaly guard reads manifests and check records only.</summary>
    public static RetrySchedule CheckAnomaly { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(2));

    public static RetrySchedule PruneBackups { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(2));

    public static RetrySchedule RestoreDatabase { get; } = new(2, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5));

    public static RetrySchedule WriteRunReport { get; } = new(5, TimeSpan.FromSeconds(5), 2.0, TimeSpan.FromMinutes(1));

    /// <summary>The outcome record of a queued restore: one small blob, as a run report.</summary>
    public static RetrySchedule RecordRestore { get; } = WriteRunReport;

    /// <summary>The webhook itself is retried inside the activity; this covers storage and Key Vault.</summary>
    public static RetrySchedule Notify { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(1));

    /// <summary>The schedule the orchestrators call an activity under (for a host that shows retries); null for a name they do not call.</summary>
    public static RetrySchedule? For(string activity) => activity switch
    {
        TaskNames.Activities.BackupDatabase => BackupDatabase,
        TaskNames.Activities.VerifyBackup => VerifyBackup,
        TaskNames.Activities.CopyBackup => CopyBackup,
        TaskNames.Activities.RestoreTest => RestoreTest,
        TaskNames.Activities.CheckAnomaly => CheckAnomaly,
        TaskNames.Activities.PruneBackups => PruneBackups,
        TaskNames.Activities.RestoreDatabase => RestoreDatabase,
        TaskNames.Activities.WriteRunReport => WriteRunReport,
        TaskNames.Activities.RecordRestore => RecordRestore,
        TaskNames.Activities.Notify => Notify,
        _ => null,
    };

    /// <summary>Task options for a call under <paramref name="schedule"/>; one attempt when <paramref name="retry"/> is false (--no-retry).</summary>
    public static TaskOptions Options(RetrySchedule schedule, bool retry = true) => TaskOptions.FromRetryHandler(async (RetryContext r) =>
    {
        if (!retry || r.LastAttemptNumber >= schedule.MaxAttempts || IsPermanent(r.LastFailure))
        {
            return false;
        }

        await r.OrchestrationContext.CreateTimer(schedule.DelayBefore(r.LastAttemptNumber + 1), r.CancellationToken);
        return true;
    });

    /// <summary>True when a failure says a retry cannot help.</summary>
    /// <remarks>
    /// By type name, not <c>IsCausedBy&lt;T&gt;()</c>: that resolves the failure's type name in every
    /// loaded assembly and throws when more than one answers (System.Net.Sockets.SocketException is
    /// type-forwarded by facades), so the retry handler itself failed and "connection refused" became
    /// "Multiple exception types with the name ... were found". The type is sealed: its name is enough.
    /// </remarks>
    public static bool IsPermanent(TaskFailureDetails? failure) =>
        failure is not null && (failure.ErrorType == typeof(PermanentFailureException).FullName ||
                                failure.ErrorMessage.StartsWith(Failures.PermanentMarker, StringComparison.Ordinal) ||
                                IsPermanent(failure.InnerFailure));
}
