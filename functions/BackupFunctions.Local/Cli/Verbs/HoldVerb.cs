using System.CommandLine;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn hold</c>: place or release a legal hold on one backup; held backups are never pruned.</summary>
internal static class HoldVerb
{
    public static VerbDefinition Define()
    {
        var id = new Argument<string>("id") { Description = "Backup id to hold or release" };
        var on = new Option<bool>("--on") { Description = "Place a legal hold" };
        var off = new Option<bool>("--off") { Description = "Release the legal hold" };
        return new VerbDefinition("hold", "Place (--on) or release (--off) a legal hold on a backup; held backups are never pruned",
            (s, r, ct) => RunAsync(s, r.GetValue(id)!, r.GetValue(on), r.GetValue(off), ct),
            [id, on, off]);
    }

    private static async Task<int> RunAsync(CliSession s, string backupId, bool on, bool off, CancellationToken ct)
    {
        if (on == off)
        {
            throw new BackupConfigurationException("give exactly one of --on or --off");
        }

        string outcome = await s.Runtime.LegalHoldActivity().RunAsync(new LegalHoldInput(backupId, on, Environment.UserName), ct);
        await s.Out.WriteLineAsync($"{backupId}: legal hold {outcome.ToLowerInvariant()}");
        return ExitCodes.Ok;
    }
}
