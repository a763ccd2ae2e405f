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
