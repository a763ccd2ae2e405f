using System.Collections.Concurrent;
using System.Globalization;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Orchestrations;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>
/// What a failed attempt shows while the orchestrator waits to retry it: the reason, the attempt that
/// comes next and when ("…: connection refused …; retry 2/3 in 30 s; Ctrl+C stops"). Attempts are
/// counted per activity and label, against the schedule the orchestrators call that activity under.
/// </summary>
internal sealed class RetryNotices(bool retries)
{
    private readonly ConcurrentDictionary<(string Activity, string Label), int> _failures = new();

    /// <summary>The notice for a failed attempt; null when no retry follows (permanent, --no-retry, attempts spent) or the activity shows no bar.</summary>
    public (string Label, string Text)? For(ActivityFailure failure)
    {
        if (!retries || failure.Permanent || failure.Label is null || RetryPolicies.For(failure.Activity) is not { } schedule)
        {
            return null;
        }

        int failed = _failures.AddOrUpdate((failure.Activity, failure.Label), 1, (_, n) => n + 1);
        if (failed >= schedule.MaxAttempts)
        {
            return null; // the last attempt failed: the verb prints the error once, at the end
        }

        string delay = schedule.DelayBefore(failed + 1).TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
        return (failure.Label, $"{Failures.UserMessage(failure.Error.Message)}; retry {failed + 1}/{schedule.MaxAttempts} in {delay} s; Ctrl+C stops");
    }
}
