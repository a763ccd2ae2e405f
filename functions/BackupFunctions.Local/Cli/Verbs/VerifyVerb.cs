using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn verify</c>: checksums and structure of one backup, in the primary or a copy vault (--vault); exit 3 when corrupt or missing.</summary>
internal static class VerifyVerb
{
    public static VerbDefinition Define(SharedOptions shared) =>
        new("verify", "Check a backup's checksums and structure; exit 3 when corrupt or missing",
            async (s, r, ct) =>
            {
                var vault = s.Runtime.ForVault(r.GetValue(shared.Vault));
                return await RunAsync(s, vault, await shared.PickBackupAsync(s, r, ct, vault), ct);
            },
            [shared.Id, shared.Target, shared.Latest, shared.Vault]);

    private static async Task<int> RunAsync(CliSession s, BackupRuntime vault, string backupId, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"verify {backupId}",
            progress => vault.VerifyBackupActivity().RunAsync(backupId, progress, ct));
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
