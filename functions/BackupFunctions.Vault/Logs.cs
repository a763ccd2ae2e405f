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
}
