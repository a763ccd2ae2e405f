namespace BackupFunctions.Orchestrations;

/// <summary>
/// Explicit retry policy per activity. Transient failures (server unreachable, storage hiccup) are
/// retried with exponential back-off; permanent ones fail at once.
/// </summary>
public static class RetryPolicies
{
    /// <summary>A dump is expensive: few attempts, long pauses (a server restart, a failover).</summary>
    public static TaskRetry BackupDatabase { get; } = new(3, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5));

    /// <summary>Verification re-reads storage only.</summary>
    public static TaskRetry VerifyBackup { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(2));

    /// <summary>A restore test needs the scratch server.</summary>
    public static TaskRetry RestoreTest { get; } = new(2, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5));

    public static TaskRetry PruneBackups { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(2));

    public static TaskRetry RestoreDatabase { get; } = new(2, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(5));

    public static TaskRetry WriteRunReport { get; } = new(5, TimeSpan.FromSeconds(5), 2.0, TimeSpan.FromMinutes(1));

    /// <summary>The webhook itself is retried inside the activity; this covers storage and Key Vault.</summary>
    public static TaskRetry Notify { get; } = new(3, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromMinutes(1));
}
