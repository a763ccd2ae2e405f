using Azure;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Local.Cli;

/// <summary>Turns any failure into one line on stderr and an exit code; never a stack trace for a user error.</summary>
internal static class CliErrors
{
    public static (int ExitCode, string Message) Describe(Exception e) => e switch
    {
        BackupConfigurationException c => (ExitCodes.Usage, c.Message),
        EngineException { Kind: FailureKind.Unavailable or FailureKind.Failed } x => (ExitCodes.Failed, x.Message),
        EngineException x => (ExitCodes.Usage, x.Message),
        VaultException v => (ExitCodes.Failed, $"storage: {v.Message}"),
        RequestFailedException r => (ExitCodes.Failed, $"storage: HTTP {r.Status} {r.ErrorCode}: {FirstLine(r.Message)}"),
        AggregateException a when a.InnerExceptions.Count > 0 && a.InnerExceptions.All(i => i is HttpRequestException or RequestFailedException) =>
            (ExitCodes.Failed, $"storage unreachable after retries: {FirstLine(a.InnerExceptions[^1].Message)} (is Azurite running? scripts/setup.sh starts it; check Backup:Storage:Connection)"),
        HttpRequestException h => (ExitCodes.Failed, $"storage unreachable: {FirstLine(h.Message)} (is Azurite running? scripts/setup.sh starts it; check Backup:Storage:Connection)"),
        OperationCanceledException => (130, "cancelled"),
        _ => (ExitCodes.Failed, $"unexpected error ({e.GetType().Name}): {FirstLine(e.Message)} (run again with --verbose for details)"),
    };

    public static string FirstLine(string text)
    {
        int nl = text.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? text : text[..nl]).Trim();
    }
}
