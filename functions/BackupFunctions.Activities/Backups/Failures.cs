using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;

namespace BackupFunctions.Activities.Backups;

/// <summary>Which failures a retry cannot fix: both hosts' retry policies consult this.</summary>
public static class Failures
{
    /// <summary>
    /// Leads the message of every <see cref="PermanentFailureException"/>. Durable carries an activity's
    /// failure to its orchestrator as type name + message; in the isolated Functions model the type
    /// may not survive (azure-functions-durable-extension #2762), the message does.
    /// </summary>
    public const string PermanentMarker = "[permanent] ";

    /// <summary>True for bad configuration, refused credentials, missing things and refused operations.</summary>
    public static bool IsPermanent(Exception e) => e switch
    {
        BackupConfigurationException or PermanentFailureException => true,
        EngineException engine => !engine.IsTransient,
        _ => e.InnerException is not null && IsPermanent(e.InnerException),
    };

    /// <summary>The message without <see cref="PermanentMarker"/>, first line only: what a report shows.</summary>
    public static string UserMessage(string message)
    {
        string text = message.StartsWith(PermanentMarker, StringComparison.Ordinal) ? message[PermanentMarker.Length..] : message;
        int nl = text.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? text : text[..nl]).Trim();
    }
}

/// <summary>
/// Wraps a permanent failure so a host that only sees exception types and messages (Durable's
/// TaskFailureDetails) can tell it must not retry. The message is the inner, user-facing one behind
/// <see cref="Failures.PermanentMarker"/>.
/// </summary>
public sealed class PermanentFailureException : Exception
{
    public PermanentFailureException(Exception inner) : base(Failures.PermanentMarker + inner.Message, inner) { }

    public PermanentFailureException() : base(Failures.PermanentMarker.Trim()) { }

    public PermanentFailureException(string message) : base(Failures.PermanentMarker + message) { }

    public PermanentFailureException(string message, Exception inner) : base(Failures.PermanentMarker + message, inner) { }
}
