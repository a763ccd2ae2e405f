using BackupFunctions.Activities.Health;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// The one place activities are built from a host's runtime: each gets only the parts it uses.
/// Hosts, the CLI and tests call these instead of wiring constructors themselves.
/// </summary>
public static class BackupRuntimeActivities
{
    public static BackupDatabaseActivity BackupDatabaseActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Targets, runtime.Time, runtime.Loggers, environment);

    public static VerifyBackupActivity VerifyBackupActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Targets, runtime.Time, runtime.Loggers, environment);

    public static CopyBackupActivity CopyBackupActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Copies, runtime.Targets, runtime.Time, runtime.Loggers, environment);

    public static CheckAnomalyActivity CheckAnomalyActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Targets, runtime.Time, runtime.Loggers, environment);

    public static AcknowledgeActivity AcknowledgeActivity(this BackupRuntime runtime) =>
        new(runtime.Vault, runtime.Targets, runtime.Time);

    public static RestoreTestActivity RestoreTestActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Targets, runtime.Time, runtime.Loggers, environment, runtime.Copies);

    /// <summary>The prune of this runtime's vault; a primary's also prunes every copy vault under the copy's Retention.</summary>
    public static PruneBackupsActivity PruneBackupsActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Targets, runtime.Immutability, runtime.Time, runtime.Loggers, environment)
        {
            VaultName = runtime.VaultName,
            RetentionOverride = runtime.RetentionOverride,
            CopyPrunes = runtime.Copies.Keys.Order(StringComparer.Ordinal).Select(name => runtime.ForVault(name).PruneBackupsActivity()).ToList(),
        };

    public static RestoreDatabaseActivity RestoreDatabaseActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Targets, runtime.Time, runtime.Loggers, environment, runtime.Copies);

    public static WriteRunReportActivity WriteRunReportActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.Loggers, environment, runtime.Targets, runtime.Time);

    public static NotifyActivity NotifyActivity(this BackupRuntime runtime, ActivityEnvironment? environment = null) =>
        new(runtime.Vault, runtime.HealthCheck(), runtime.Options.Notifications, runtime.Secrets, runtime.Time, runtime.Loggers, environment);

    public static LegalHoldActivity LegalHoldActivity(this BackupRuntime runtime) =>
        new(runtime.Vault, runtime.Targets, runtime.Time);

    public static BackupCatalog BackupCatalog(this BackupRuntime runtime) => new(runtime.Vault, runtime.Targets);

    public static HealthCheck HealthCheck(this BackupRuntime runtime) => new(runtime.BackupCatalog(), new Runs.RunHistory(runtime.Vault), runtime.Targets, runtime.Time);
}
