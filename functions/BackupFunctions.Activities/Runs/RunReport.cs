namespace BackupFunctions.Activities.Runs;

/// <summary>What happened to one target in a run. Small and serializable: names and numbers, never data.</summary>
public sealed record TargetReport
{
    public required string Target { get; init; }

    /// <summary>Succeeded (backed up, verified, restore-tested), or Failed.</summary>
    public required string Outcome { get; init; }

    public string? BackupId { get; init; }
    public long RawBytes { get; init; }
    public long StoredBytes { get; init; }
    public double BackupSeconds { get; init; }
    public string? Verify { get; init; }
    public string? VerifyDetail { get; init; }
    public bool? RestoreTestPassed { get; init; }
    public string? RestoreTestDetail { get; init; }
    public double RestoreTestSeconds { get; init; }
    public IReadOnlyList<string> Pruned { get; init; } = [];
    public string? PruneNote { get; init; }

    /// <summary>Why the target failed, one line, secret-free.</summary>
    public string? Error { get; init; }

    /// <summary>True when a retry cannot help: the configuration, credentials or tools need fixing.</summary>
    public bool NeedsConfigurationFix { get; init; }

    public bool Succeeded => Outcome == Outcomes.Succeeded;
}

/// <summary>The report of one BackupAll run: written as runs/{yyyy}/{MM}/{dd}/{runId}.json, returned by status queries, printed by the CLI.</summary>
public sealed record RunReport(string RunId, string Trigger, DateTime StartedAt, DateTime CompletedAt, string Status, IReadOnlyList<TargetReport> Targets)
{
    public bool Succeeded => Status == Outcomes.Completed;
}

/// <summary>Outcome words used in reports.</summary>
public static class Outcomes
{
    public const string Succeeded = nameof(Succeeded);
    public const string Failed = nameof(Failed);

    /// <summary>A run whose targets all succeeded.</summary>
    public const string Completed = nameof(Completed);
}
