namespace BackupFunctions.Orchestrations;

/// <summary>
/// Input of BackupAll: the targets to back up, how many at once, what started the run, and whether
/// transient failures are retried (false for `backupfn backup --no-retry`).
/// </summary>
public sealed record BackupAllInput(IReadOnlyList<string> Targets, int MaxParallelTargets, string Trigger, bool Retry = true);

/// <summary>Input of TargetBackup: one target within a run.</summary>
public sealed record TargetBackupInput(string Target, string RunId, bool Retry = true);
