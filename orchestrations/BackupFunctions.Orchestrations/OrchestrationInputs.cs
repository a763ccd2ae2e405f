namespace BackupFunctions.Orchestrations;

/// <summary>Input of BackupAll: the targets to back up, how many at once, and what started the run.</summary>
public sealed record BackupAllInput(IReadOnlyList<string> Targets, int MaxParallelTargets, string Trigger);

/// <summary>Input of TargetBackup: one target within a run.</summary>
public sealed record TargetBackupInput(string Target, string RunId);
