using System.CommandLine;
using System.Globalization;
using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary>
/// <c>backupfn ack ID [--by NAME]</c>: an operator accepts a suspect backup of the anomaly guard; recorded with
/// who (--by, default the OS user name) and when. Pruning of its target resumes and status leaves suspect.
/// Exit 2 when the backup is not suspect.
/// </summary>
internal static class AckVerb
{
    public static VerbDefinition Define()
    {
        var id = new Argument<string>("id") { Description = "Id of the suspect backup to accept" };
        var by = new Option<string>("--by") { Description = "Who accepts it (recorded); default: the OS user name" };
        return new VerbDefinition("ack", "Accept a suspect backup (anomaly guard): recorded with who and when; pruning of its target resumes",
            (s, r, ct) => RunAsync(s, r.GetValue(id)!, r.GetValue(by) ?? Environment.UserName, ct),
            [id, by]);
    }

    private static async Task<int> RunAsync(CliSession s, string backupId, string by, CancellationToken ct)
    {
        var output = await s.Runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(backupId, by), ct);
        int exit = output.Outcome == AcknowledgeOutcome.NotSuspect ? ExitCodes.Usage : ExitCodes.Ok;
        if (s.Json)
        {
            s.WriteJson(output);
            return exit;
        }

        string at = output.At?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
        switch (output.Outcome)
        {
            case AcknowledgeOutcome.Acknowledged:
                await s.Out.WriteLineAsync($"{output.BackupId}: accepted by {output.By} at {at}; pruning of target '{output.Target}' resumes");
                break;
            case AcknowledgeOutcome.AlreadyAcknowledged:
                await s.Out.WriteLineAsync($"{output.BackupId}: already accepted by {output.By} at {at}; nothing recorded");
                break;
            default:
                await s.Error.WriteLineAsync($"backupfn ack: {output.Detail}");
                break;
        }

        return exit;
    }
}
