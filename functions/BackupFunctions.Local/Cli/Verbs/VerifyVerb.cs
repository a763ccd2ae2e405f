using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn verify</c>: checksums and structure of one backup; exit 3 when corrupt or missing.</summary>
internal static class VerifyVerb
{
    public static VerbDefinition Define(SharedOptions shared) =>
        new("verify", "Check a backup's checksums and structure; exit 3 when corrupt or missing",
            async (s, r, ct) => await RunAsync(s, await shared.PickBackupAsync(s, r, ct), ct),
            [shared.Id, shared.Target, shared.Latest]);

    private static async Task<int> RunAsync(CliSession s, string backupId, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"verify {backupId}",
            progress => s.Runtime.VerifyBackupActivity().RunAsync(backupId, progress, ct));
        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync(ResultLine.Verify(output));
        }

        return output.IsOk ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
