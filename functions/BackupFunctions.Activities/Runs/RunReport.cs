using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Activities.Runs;

/// <summary>What happened to one target in a run. Small and serializable: names and numbers, never data.</summary>
public sealed record TargetReport
{
    public required string Target { get; init; }

    /// <summary>Succeeded (backed up, verified, restore-tested), or Failed.</summary>
    public required TargetOutcome Outcome { get; init; }

    public string? BackupId { get; init; }
    public long RawBytes { get; init; }
    public long StoredBytes { get; init; }
    public double BackupSeconds { get; init; }
    public string? Verify { get; init; }
    public string? VerifyDetail { get; init; }
    public bool? RestoreTestPassed { get; init; }
    public string? RestoreTestDetail { get; init; }
    public double RestoreTestSeconds { get; init; }

    /// <summary>The anomaly guard's verdict (null when it did not run: disabled, or the backup did not verify).</summary>
    public Vault.Catalog.AnomalyOutcome? Anomaly { get; init; }

    /// <summary>What moved and by how much, against which baselines; or why the guard did not compare.</summary>
    public string? AnomalyDetail { get; init; }

    /// <summary>The backup is an unacknowledged suspect: kept and listed, but pruning of the target is frozen.</summary>
    public bool Suspect => Anomaly == Vault.Catalog.AnomalyOutcome.Suspect;

    /// <summary>The backup as each copy vault holds it (Backup:Copies): re-read SHA-256, how it was copied; empty without copies.</summary>
    public IReadOnlyList<CopyResult> Copies { get; init; } = [];

    public IReadOnlyList<string> Pruned { get; init; } = [];
    public string? PruneNote { get; init; }

    /// <summary>Why the target failed, one line, secret-free.</summary>
    public string? Error { get; init; }

    /// <summary>True when a retry cannot help: the configuration, credentials or tools need fixing.</summary>
    public bool NeedsConfigurationFix { get; init; }

    public bool Succeeded => Outcome == TargetOutcome.Succeeded;
}

/// <summary>The report of one BackupAll run: written as runs/{yyyy}/{MM}/{dd}/{runId}.json, returned by status queries, printed by the CLI.</summary>
public sealed record RunReport(string RunId, string Trigger, DateTime StartedAt, DateTime CompletedAt, RunState Status, IReadOnlyList<TargetReport> Targets)
{
    /// <summary>
    /// Recovery objectives achieved, per target that has any, as measured when the report was written
    /// (absent from reports of targets without objectives, and from the orchestration's own output).
    /// </summary>
    public IReadOnlyDictionary<string, Health.ObjectivesReport>? Objectives { get; init; }

    public bool Succeeded => Status == RunState.Completed;
}

/// <summary>What one target came to in a run; serialized by name.</summary>
public enum TargetOutcome
{
    Succeeded,
    Failed,
}

/// <summary>Where a run stands: Running until its report exists, then Completed (every target succeeded) or Failed. Serialized by name.</summary>
public enum RunState
{
    Running,
    Completed,
    Failed,
}
