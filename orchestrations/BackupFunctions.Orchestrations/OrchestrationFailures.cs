using BackupFunctions.Activities.Backups;
using Microsoft.DurableTask;

namespace BackupFunctions.Orchestrations;

/// <summary>Turns a failed activity or sub-orchestration, as the engine surfaces it, into one report line.</summary>
internal static class OrchestrationFailures
{
    public static string Describe(Exception e) => Failures.UserMessage(e is TaskFailedException failed ? Innermost(failed.FailureDetails).ErrorMessage : e.Message);

    /// <summary>True when retrying cannot help (bad configuration, refused credentials).</summary>
    public static bool IsPermanent(Exception e) => e is TaskFailedException failed ? RetryPolicies.IsPermanent(failed.FailureDetails) : Failures.IsPermanent(e);

    private static TaskFailureDetails Innermost(TaskFailureDetails details) =>
        details.ErrorType == typeof(TaskFailedException).FullName && details.InnerFailure is { } inner ? Innermost(inner) : details;
}
