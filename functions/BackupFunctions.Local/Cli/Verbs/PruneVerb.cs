using System.CommandLine;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn prune</c>: the retention policy applied per target (or planned with --dry-run), each decision with its reasons.</summary>
internal static class PruneVerb
{
    public static VerbDefinition Define(SharedOptions shared)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan, remove nothing" };
        return new VerbDefinition("prune", "Apply the retention policy (prints kept/removed with reasons)",
            (s, r, ct) => RunAsync(s, r.GetValue(shared.Target), r.GetValue(shared.Vault), r.GetValue(dryRun), ct),
            [shared.Target, shared.Vault, dryRun]);
    }

    /// <summary>Without --vault the primary is pruned, then each copy under its own Retention; with it, that vault only.</summary>
    private static async Task<int> RunAsync(CliSession s, string? target, string? vault, bool dryRun, CancellationToken ct)
    {
        var runtime = s.Runtime.ForVault(vault);
        var targets = target is null ? s.Runtime.TargetNames : [target];
        var outputs = new List<PruneBackupsOutput>();
        foreach (string t in targets)
        {
            outputs.Add(await runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput(t, dryRun), ct));
        }

        // On stderr, as the verbs' other notices, so --json output stays parseable.
        foreach (string line in DefaultRetentionText.Lines(s.Runtime.Options, targets))
        {
            await s.Error.WriteLineAsync($"backupfn prune: {line}");
        }

        if (s.Json)
        {
            s.WriteJson(outputs);
            return ExitCodes.Ok;
        }

        await s.WriteLinesAsync(PruneText.Lines(outputs, dryRun));
        return ExitCodes.Ok;
    }
}
