using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn restore-test</c>: restore one backup into a scratch database and compare counts; exit 3 on failure.</summary>
internal static class RestoreTestVerb
{
    public static VerbDefinition Define(SharedOptions shared) =>
        new("restore-test", "Restore a backup into a scratch database and compare counts; exit 3 on failure",
            async (s, r, ct) => await RunAsync(s, await shared.PickBackupAsync(s, r, ct), ct),
            [shared.Id, shared.Target, shared.Latest]);

    private static async Task<int> RunAsync(CliSession s, string backupId, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"restore-test {backupId}",
            progress => s.Runtime.RestoreTestActivity().RunAsync(backupId, progress, ct));
        if (output.Warning is not null)
        {
            await s.Error.WriteLineAsync($"backupfn restore-test: {output.Warning}");
        }

        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync(ResultLine.RestoreTest(output));
        }

        return output.Passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
