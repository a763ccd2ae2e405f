using Azure;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>Every kind of failure the product tells apart (the rows of <see cref="Failures.Rules"/>).</summary>
public enum FailureClass
{
    Configuration,
    Authentication,
    ToolMissing,
    NotFound,
    Refused,
    Corrupt,
    Unavailable,
    ToolFailed,
    Storage,
    Cancelled,
    Unexpected,
}

/// <summary>What a kind of failure means everywhere: retried or not, the CLI's exit code, the HTTP status, and how it reads.</summary>
public sealed record FailureRule(FailureClass Class, bool Retried, int ExitCode, int HttpStatus, string Meaning);

/// <summary>
/// The one failure model. Each exception is classified once here; retry decisions (the
/// orchestrators' retry helper, through <see cref="PermanentFailureException"/>), the CLI's exit codes
/// and one-line messages, and HTTP statuses all read <see cref="Rules"/>. README "Exit codes" shows
/// the same table.
/// </summary>
public static class Failures
{
    /// <summary>
    /// Leads the message of every <see cref="PermanentFailureException"/>. Durable carries an activity's
    /// failure to its orchestrator as type name + message; in the isolated Functions model the type
    /// may not survive (azure-functions-durable-extension #2762), the message does.
    /// </summary>
    public const string PermanentMarker = "[permanent] ";

    public static IReadOnlyList<FailureRule> Rules { get; } =
    [
        new(FailureClass.Configuration, false, 2, 400, "bad usage or configuration: fix the key or argument the message names"),
        new(FailureClass.Authentication, false, 2, 400, "credentials refused: fix the password, user or secret"),
        new(FailureClass.ToolMissing, false, 2, 500, "a required tool (pg_dump, pg_restore) is missing or too old: install it"),
        new(FailureClass.NotFound, false, 2, 404, "a named database, backup or target does not exist"),
        new(FailureClass.Refused, false, 2, 409, "refused to protect data (a non-empty destination without --replace)"),
        new(FailureClass.Corrupt, false, 3, 422, "the backup failed verification (checksum, size or structure): restore another one"),
        new(FailureClass.Unavailable, true, 1, 503, "the database server could not be reached"),
        new(FailureClass.ToolFailed, true, 1, 502, "a tool or the server failed while working"),
        new(FailureClass.Storage, true, 1, 503, "blob storage failed or could not be reached"),
        new(FailureClass.Cancelled, true, 130, 503, "cancelled (Ctrl+C, SIGTERM, shutdown); an engine run resumes later"),
        new(FailureClass.Unexpected, true, 1, 500, "anything else (a bug): run again with --verbose for details"),
    ];

    /// <summary>The kind of <paramref name="e"/>.</summary>
    public static FailureClass Classify(Exception e) => e switch
    {
        BackupConfigurationException => FailureClass.Configuration,
        PermanentFailureException { InnerException: { } inner } => Classify(inner),
        PermanentFailureException => FailureClass.Configuration,
        EngineException x => x.Kind switch
        {
            FailureKind.Configuration => FailureClass.Configuration,
            FailureKind.Authentication => FailureClass.Authentication,
            FailureKind.ToolMissing => FailureClass.ToolMissing,
            FailureKind.NotFound => FailureClass.NotFound,
            FailureKind.Refused => FailureClass.Refused,
            FailureKind.Corrupt => FailureClass.Corrupt,
            FailureKind.Unavailable => FailureClass.Unavailable,
            _ => FailureClass.ToolFailed,
        },
        VaultException or RequestFailedException or HttpRequestException => FailureClass.Storage,
        AggregateException a when a.InnerExceptions.Count > 0 && a.InnerExceptions.All(i => i is HttpRequestException or RequestFailedException) => FailureClass.Storage,
        OperationCanceledException => FailureClass.Cancelled,
        _ when e.InnerException is { } inner && Classify(inner) is var c && c != FailureClass.Unexpected => c,
        _ => FailureClass.Unexpected,
    };

    /// <summary>The rule for <paramref name="e"/>.</summary>
    public static FailureRule RuleFor(Exception e) => Rule(Classify(e));

    public static FailureRule Rule(FailureClass kind) => Rules.First(r => r.Class == kind);

    /// <summary>True when a retry cannot help: bad configuration, refused credentials, missing things, refused operations.</summary>
    public static bool IsPermanent(Exception e) => !RuleFor(e).Retried;

    /// <summary>What a user is told: the failure's own (secret-free) message, or for storage that cannot be reached, the fix.</summary>
    public static string Describe(Exception e) => e switch
    {
        VaultException v => $"storage: {FirstLine(v.Message)}",
        RequestFailedException r => $"storage: HTTP {r.Status} {r.ErrorCode}: {FirstLine(r.Message)}",
        AggregateException a when Classify(a) == FailureClass.Storage =>
            $"storage unreachable after retries: {FirstLine(a.InnerExceptions[^1].Message)} (is Azurite running? scripts/setup.sh starts it; check Backup:Storage:Connection)",
        HttpRequestException h => $"storage unreachable: {FirstLine(h.Message)} (is Azurite running? scripts/setup.sh starts it; check Backup:Storage:Connection)",
        OperationCanceledException => "cancelled",
        _ when Classify(e) == FailureClass.Unexpected => $"unexpected error ({e.GetType().Name}): {FirstLine(e.Message)} (run again with --verbose for details)",
        _ => WithoutMarker(e.Message),
    };

    private static string WithoutMarker(string message) =>
        message.StartsWith(PermanentMarker, StringComparison.Ordinal) ? message[PermanentMarker.Length..] : message;

    /// <summary>The message without <see cref="PermanentMarker"/>, first line only: what a report shows.</summary>
    public static string UserMessage(string message) => FirstLine(WithoutMarker(message));

    public static string FirstLine(string text)
    {
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
