using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Local.Cli;

/// <summary>
/// A failure as the CLI shows it: the one failure model's exit code and message (README "Exit
/// codes"); never a stack trace for a user error.
/// </summary>
internal static class CliErrors
{
    public static (int ExitCode, string Message) Describe(Exception e) => (Failures.RuleFor(e).ExitCode, Failures.Describe(e));
}
