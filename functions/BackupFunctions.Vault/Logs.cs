using Microsoft.Extensions.Logging;

namespace BackupFunctions.Vault;

/// <summary>
/// Every log message of BackupFunctions.Vault, with its event id. Ids of this project: 1000-1999
/// (one range per project, listed in docs/development or the README's Development section; a test
/// fails on a duplicate id or one outside its project's range).
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Immutability is not supported by this store (HTTP {Status} {ErrorCode}); backups are recorded as UnsupportedByStore. Use a store with version-level immutability for ransomware protection.")]
    public static partial void ImmutabilityUnsupported(ILogger logger, int status, string errorCode);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning,
        Message = "Running marker {Blob}: its lease was not renewed within {Seconds:F0} s ({Problem}); until it is renewed, a prune may treat this backup as not running. Still trying.")]
    public static partial void RunningLeaseLapsed(ILogger logger, string blob, double seconds, string problem);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Running marker {Blob}: lease renewed again")]
    public static partial void RunningLeaseRegained(ILogger logger, string blob);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning,
        Message = "Running marker {Blob} was not removed ({Problem}); it stops blocking prune once its lease lapses, within {Seconds:F0} s")]
    public static partial void RunningMarkerLeft(ILogger logger, string blob, string problem, double seconds);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information,
        Message = "Copy of {Blob}: the copy's store refused to read the source (HTTP {Status} {ErrorCode}); streaming it instead")]
    public static partial void ServerSideCopyRefused(ILogger logger, string blob, int status, string errorCode);
}
