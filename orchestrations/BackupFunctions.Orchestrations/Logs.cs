using Microsoft.Extensions.Logging;

namespace BackupFunctions.Orchestrations;

/// <summary>Orchestrator log messages (event ids 3xxx); written through replay-safe loggers.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Run {RunId} {Status}: {Succeeded}/{Total} targets succeeded")]
    public static partial void RunFinished(ILogger logger, string runId, BackupFunctions.Activities.Runs.RunState status, int succeeded, int total);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Run {RunId}: notifications could not be sent: {Error}")]
    public static partial void NotifyFailed(ILogger logger, string runId, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Target {Target} failed: {Error}")]
    public static partial void TargetFailed(ILogger logger, string target, string error);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Restore request {RequestId} rejected: {Problem}")]
    public static partial void RestoreRejected(ILogger logger, string? requestId, string problem);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Restore request {RequestId} failed: {Error}")]
    public static partial void RestoreFailed(ILogger logger, string? requestId, string error);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Target {Target}: backup {BackupId} is suspect, pruning of the target is frozen until it is acknowledged: {Detail}")]
    public static partial void TargetSuspect(ILogger logger, string target, string backupId, string detail);
}
