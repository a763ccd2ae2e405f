namespace BackupFunctions.Orchestrations.Intake;

/// <summary>
/// Follows a queued restore request to its recorded outcome (`backupfn request-restore --wait`): reads
/// the record every <c>interval</c> until it exists or <c>timeout</c> has passed, on the given clock
/// (a FakeTimeProvider in tests), so waiting is a bounded poll on the evidence, never a guess.
/// </summary>
public static class RestoreOutcomeWatch
{
    /// <summary>The outcome once recorded; null when none was recorded within <paramref name="timeout"/>.</summary>
    public static async Task<RestoreRecord?> WaitAsync(Func<CancellationToken, Task<RestoreRecord?>> find, TimeSpan interval, TimeSpan timeout, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            if (await find(cancellationToken) is { } record)
            {
                return record;
            }

            if (time.GetUtcNow() >= deadline)
            {
                return null;
            }

            await Task.Delay(interval, time, cancellationToken);
        }
    }
}
