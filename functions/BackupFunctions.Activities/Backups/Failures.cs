using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;

namespace BackupFunctions.Activities.Backups;

/// <summary>Which failures a retry cannot fix: both hosts' retry policies consult this.</summary>
public static class Failures
{
    /// <summary>True for bad configuration, refused credentials, missing things and refused operations.</summary>
    public static bool IsPermanent(Exception e) => e switch
    {
        BackupConfigurationException or PermanentFailureException => true,
        EngineException engine => !engine.IsTransient,
        _ => e.InnerException is not null && IsPermanent(e.InnerException),
    };
}

/// <summary>
/// Wraps a permanent failure so a host that only sees exception types (Durable's TaskFailureDetails)
/// can tell it must not retry. The message stays the inner, user-facing one.
/// </summary>
public sealed class PermanentFailureException : Exception
{
    public PermanentFailureException(Exception inner) : base(inner.Message, inner) { }

    public PermanentFailureException() { }

    public PermanentFailureException(string message) : base(message) { }

    public PermanentFailureException(string message, Exception inner) : base(message, inner) { }
}
