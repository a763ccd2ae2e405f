namespace BackupFunctions.Vault.Catalog;

/// <summary>Outcome of a restore test, as its check record stores it (by name).</summary>
public enum RestoreTestOutcome
{
    Passed,
    Failed,
}

/// <summary>Outcome of a restore, as its check record stores it (by name).</summary>
public enum RestoreRecordOutcome
{
    Restored,

    /// <summary>Restored, but the restored counts differ from the backup's.</summary>
    CountsDiffer,
}

/// <summary>What became of a backup's immutability policy; stored by name in the manifest.</summary>
public enum ImmutabilityStatus
{
    /// <summary>Immutability.Mode is Off.</summary>
    Off,

    /// <summary>A time-based policy was set on every blob.</summary>
    Applied,

    /// <summary>The store refused (Azurite answers 501); recorded in BestEffort mode.</summary>
    UnsupportedByStore,
}

/// <summary>Outcome of the anomaly guard's comparison of a backup with its baselines, as its "anomaly" check record stores it (by name).</summary>
public enum AnomalyOutcome
{
    /// <summary>Every compared number is within the thresholds.</summary>
    Normal,

    /// <summary>A number moved beyond a threshold: pruning of the target is frozen until the backup is acknowledged.</summary>
    Suspect,

    /// <summary>No earlier good backup to compare with (the target's first, or every earlier one is unacknowledged suspect).</summary>
    NoBaseline,
}
