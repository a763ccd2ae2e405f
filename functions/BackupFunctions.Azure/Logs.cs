using Microsoft.Extensions.Logging;

namespace BackupFunctions.Azure;

/// <summary>
/// Every log message of BackupFunctions.Azure, with its event id. Ids of this project: 6000-6999
/// (one range per project, listed in docs/development or the README's Development section; a test
/// fails on a duplicate id or one outside its project's range).
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Timer run {RunId} (new: {Started})")]
    public static partial void TriggerTimerStarted(ILogger logger, string runId, bool started);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Health watch sent {Count} notification(s); {Poison} message(s) in the poison queue; purged {Purged} old instance(s)")]
    public static partial void TriggerHealthWatch(ILogger logger, int count, int poison, int purged);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Restore request {MessageId} moved to the poison queue: {Reason}")]
    public static partial void TriggerPoisoned(ILogger logger, string messageId, string reason);
}
