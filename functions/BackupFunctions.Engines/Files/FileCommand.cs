using BackupFunctions.Engines.Tools;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// A files target's PreCommand or PostCommand: <c>/bin/sh -c COMMAND</c> in the target's directory (also given as
/// BACKUPFN_DIRECTORY), killed with its children when it outlives its timeout or the operation is cancelled. Its
/// output is logged line by line, redacted (<see cref="OutputRedactor"/>); the command itself is never shown, as it
/// may carry a secret. A non-zero exit or a timeout is an <see cref="EngineException"/> (Failed).
/// </summary>
internal static class FileCommand
{
    public static async Task RunAsync(string label, string command, string directory, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        int code;
        string output;
        try
        {
            var (exit, stdout, stderr) = await ToolProcess.RunAsync("/bin/sh", null, ["-c", command],
                new Dictionary<string, string?> { ["BACKUPFN_DIRECTORY"] = directory }, limit.Token);
            code = exit;
            output = string.Join('\n', stdout.TrimEnd(), stderr.TrimEnd()).Trim();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EngineException(FailureKind.Failed, $"{label} did not finish within {timeout} and was killed (fix it, or raise the target's CommandTimeout)");
        }

        string? last = null;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            last = OutputRedactor.Redact(line, []);
            Logs.CommandOutput(logger, label, last);
        }

        if (code != 0)
        {
            throw new EngineException(FailureKind.Failed, $"{label} failed (exit {code}){(last is null ? "" : $": {last}")}");
        }
    }
}
