using System.CommandLine;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn restore</c>: restore one backup into a configured target; a non-empty one only with --replace.</summary>
internal static class RestoreVerb
{
    public static VerbDefinition Define()
    {
        var id = new Argument<string>("id") { Description = "Backup id to restore" };
        var to = new Option<string>("--to") { Description = "Configured target to restore into", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace a non-empty destination (only after the restore has succeeded)" };
        return new VerbDefinition("restore", "Restore a backup into a configured target; refuses a non-empty one without --replace",
            (s, r, ct) => RunAsync(s, r.GetValue(id)!, r.GetValue(to)!, r.GetValue(replace), ct),
            [id, to, replace]);
    }

    private static async Task<int> RunAsync(CliSession s, string backupId, string destination, bool replace, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"restore {backupId}",
            progress => s.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backupId, destination, replace), progress, ct));
        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync(ResultLine.Restore(output));
        }

        return output.CountsMatch ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
