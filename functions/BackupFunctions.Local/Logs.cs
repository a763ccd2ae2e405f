using BackupFunctions.Orchestrations;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local;

/// <summary>
/// Every log message of BackupFunctions.Local, with its event id. Ids of this project: 4000-4999
/// (one range per project, listed in docs/development or the README's Development section; a test
/// fails on a duplicate id or one outside its project's range).
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Schedule \"{Schedule}\" for {Targets}: next runs {Next} (UTC)")]
    public static partial void TimerSchedule(ILogger logger, string schedule, string targets, string next);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Timer started run {RunId} for {Targets}")]
    public static partial void TimerStarted(ILogger logger, string runId, string targets);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Timer slot {RunId} for {Targets} was already started (by another process on the hub, or before a restart)")]
    public static partial void TimerJoined(ILogger logger, string runId, string targets);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Timer could not start the run due at {At:u}: {Error}")]
    public static partial void TimerFailed(ILogger logger, DateTime at, string error);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information,
        Message = "engine timing: ready_ms={ReadyMs:F0} first_activity_ms={FirstActivityMs:F0} stop_ms={StopMs:F0}")]
    public static partial void EngineTiming(ILogger logger, double readyMs, double firstActivityMs, double stopMs);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Listening on queue {Queue} (maxDequeueCount {MaxDequeueCount}, visibility {Visibility}, encoding {Encoding})")]
    public static partial void QueueListening(ILogger logger, string queue, int maxDequeueCount, TimeSpan visibility, string encoding);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Restore request {MessageId} moved to the poison queue: {Reason}")]
    public static partial void QueuePoisoned(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Restore request {MessageId}: {Status}: {Detail}")]
    public static partial void QueueRestored(ILogger logger, string messageId, RestoreStatus status, string detail);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Restore request {MessageId} failed (attempt {Attempt} of {Max}), will be redelivered: {Detail}")]
    public static partial void QueueWillRetry(ILogger logger, string messageId, long attempt, int max, string detail);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Receiving from the restore queue failed, retrying: {Error}")]
    public static partial void QueueReceiveFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Health watch checked the targets and sent {Count} notification(s)")]
    public static partial void HealthWatchSent(ILogger logger, int count);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Health watch failed: {Error}")]
    public static partial void HealthWatchFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Information, Message = "Purged {Count} finished orchestration instance(s) from the task hub")]
    public static partial void PurgePurged(ILogger logger, int count);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "Purging the task hub failed: {Error}")]
    public static partial void PurgeFailed(ILogger logger, string error);
}
