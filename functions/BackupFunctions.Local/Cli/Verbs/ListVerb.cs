using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn list</c>: the catalog of the primary or a copy vault (--vault), newest first, with each backup's last verify and restore test.</summary>
internal static class ListVerb
{
    public static VerbDefinition Define(SharedOptions shared) =>
        new("list", "List backups, newest first",
            (s, r, ct) => RunAsync(s, r.GetValue(shared.Target), r.GetValue(shared.Vault), ct),
            [shared.Target, shared.Vault]);

    private static async Task<int> RunAsync(CliSession s, string? target, string? vault, CancellationToken ct)
    {
        var runtime = s.Runtime.ForVault(vault);
        if (target is not null && !Activities.Restores.RestoreDestinations.IsDestinationName(target))
        {
            s.Runtime.Resolve(target); // an unknown target is a usage error; a restore destination's safety backups are listed
        }

        var entries = await runtime.BackupCatalog().ListAsync(target, ct);
        if (s.Json)
        {
            s.WriteJson(entries.Select(CatalogListing.Of));
            return ExitCodes.Ok;
        }

        await s.WriteLinesAsync(BackupTable.Lines(entries, target));
        return ExitCodes.Ok;
    }
}
