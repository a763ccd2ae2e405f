using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Backups;

/// <summary>Compares what a restore brought with what the backup holds: all of it, or the part a selection asked for.</summary>
internal static class RestoredCounts
{
    public static (bool Equal, string Detail) Compare(IDatabaseEngine engine, SourceStatsRecord backup, SourceStats restored, RestoreSelection? selection)
    {
        if (selection is null)
        {
            return StatsComparison.Compare(backup.Counts, restored.Counts);
        }

        string selected = string.Join(" ", selection.Filters.Select(RestoreSelection.Option));
        var expected = engine.ExpectedAfterRestore(new SourceStats(backup.Kind, backup.Counts, backup.SourceSizeBytes), selection);
        if (expected is null)
        {
            return (true, $"selected with {selected}; counts not compared (the manifest does not count what the selection picks)");
        }

        // The destination may hold more than the selection (a restore into an existing database): compare what was selected.
        var restoredSelection = restored.Counts.Where(c => expected.Counts.ContainsKey(c.Key)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var (equal, detail) = StatsComparison.Compare(expected.Counts, restoredSelection);
        return (equal, $"selected with {selected}: {detail}");
    }
}
