using Microsoft.Extensions.Logging;

namespace BackupFunctions.Engines;

/// <summary>
/// Every log message of BackupFunctions.Engines, with its event id. Ids of this project: 7000-7999
/// (one range per project; a test fails on a duplicate id or one outside its project's range).
/// </summary>
internal static partial class Logs
{
    /// <summary>One line of a files target's PreCommand or PostCommand output, already redacted.</summary>
    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "{Command}: {Line}")]
    public static partial void CommandOutput(ILogger logger, string command, string line);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "PostCommand of {Directory} failed: {Problem}; the writer it should resume may still be paused")]
    public static partial void PostCommandFailed(ILogger logger, string directory, string problem);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Files backup of {Directory}: {Warning}")]
    public static partial void FileSetWarning(ILogger logger, string directory, string warning);
}
