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
        var catalog = s.Runtime.ForVault(vault).BackupCatalog();
        if (target is not null)
        {
            catalog.RequireKnown(target);
        }

        var entries = await catalog.ListAsync(target, ct);
        if (s.Json)
        {
            s.WriteJson(entries.Select(CatalogListing.Of));
            return ExitCodes.Ok;
        }

        await s.WriteLinesAsync(BackupTable.Lines(entries, target));
        return ExitCodes.Ok;
    }
}
