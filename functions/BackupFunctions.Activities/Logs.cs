using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities;

/// <summary>
/// Every log message of BackupFunctions.Activities, with its event id. Ids of this project: 2000-2999
/// (one range per project, listed in docs/development or the README's Development section; a test
/// fails on a duplicate id or one outside its project's range).
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Backing up {Target} as {BackupId} from {Source} ({Compression})")]
    public static partial void BackupStarting(ILogger logger, string target, string backupId, string source, string compression);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Backup {Orphan} has data but no manifest (an earlier attempt died); backing up again as {BackupId}")]
    public static partial void BackupOrphan(ILogger logger, string orphan, string backupId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Backed up {Target} as {BackupId}: {RawBytes} bytes raw, {StoredBytes} stored, {Seconds:F1} s")]
    public static partial void BackupCompleted(ILogger logger, string target, string backupId, long rawBytes, long storedBytes, double seconds);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Notification webhook not delivered ({Problem}) after {Attempts} attempt(s); the URL is not logged")]
    public static partial void NotifyUndelivered(ILogger logger, string problem, int attempts);

    /// <summary>Every execution, so a re-run after a crash (activities run at least once) is visible in the logs.</summary>
    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Activity {Activity} of {InstanceId} started in process {ProcessId}")]
    public static partial void ActivityStarted(ILogger logger, string activity, string instanceId, int processId);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Dead-man ping sent to {Url} ({Outcome}): HTTP {Status}")]
    public static partial void PingSent(ILogger logger, string url, string outcome, int status);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Dead-man ping to {Url} ({Outcome}) not delivered: {Problem}")]
    public static partial void PingUndelivered(ILogger logger, string url, string outcome, string problem);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Size estimate of {Target} unavailable ({Problem}); progress shows no total")]
    public static partial void EstimateFailed(ILogger logger, string target, string problem);

    // 2040-2049: copy vaults (Backup:Copies).
    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "Copied {BackupId} into copy {Vault} ({Method}); SHA-256 re-read there: {Sha256}")]
    public static partial void BackupCopied(ILogger logger, string backupId, string vault, BackupFunctions.Vault.Storage.BlobCopyMethod method, string sha256);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "{Operation} of {BackupId} reads copy {Vault}: {Warning}")]
    public static partial void ReadFromCopy(ILogger logger, string operation, string backupId, string vault, string warning);
}
