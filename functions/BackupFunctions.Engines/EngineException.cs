namespace BackupFunctions.Engines;

/// <summary>What kind of problem an <see cref="EngineException"/> reports; decides the exit code and whether a retry can help.</summary>
public enum FailureKind
{
    /// <summary>Bad configuration: fix the settings (exit 2, never retried).</summary>
    Configuration,

    /// <summary>A required tool is missing or unusable (exit 2).</summary>
    ToolMissing,

    /// <summary>Credentials were refused (exit 2, never retried).</summary>
    Authentication,

    /// <summary>A named thing does not exist (exit 2).</summary>
    NotFound,

    /// <summary>The server could not be reached; a retry may help (exit 1).</summary>
    Unavailable,

    /// <summary>A tool or server reported an error while working (exit 1).</summary>
    Failed,

    /// <summary>The operation was refused to protect data, e.g. a non-empty restore destination (exit 2).</summary>
    Refused,

    /// <summary>The stored backup failed its checksums: no retry can mend it; pick another backup (exit 3, never retried).</summary>
    Corrupt,
}

/// <summary>An engine failure with a one-line, secret-free message that names the problem and the fix.</summary>
public sealed class EngineException : Exception
{
    public EngineException(FailureKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    public EngineException() : this(FailureKind.Failed, "engine failure") { }

    public EngineException(string message) : this(FailureKind.Failed, message) { }

    public EngineException(string message, Exception inner) : this(FailureKind.Failed, message, inner) { }

    public FailureKind Kind { get; }

    /// <summary>The message of the <see cref="EngineException"/> <paramref name="check"/> throws, or null when it throws none (configuration validation).</summary>
    public static string? MessageOf(Action check)
    {
        try
        {
            check();
            return null;
        }
        catch (EngineException e)
        {
            return e.Message;
        }
    }

    /// <summary>True when the same call may succeed later (server unreachable, tool failed mid-way).</summary>
    public bool IsTransient => Kind is FailureKind.Unavailable or FailureKind.Failed;
}
