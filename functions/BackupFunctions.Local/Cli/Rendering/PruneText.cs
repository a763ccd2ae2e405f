using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>What <c>prune</c> did (or would do): per target its note, every decision with its reasons, stale running markers cleared and the orphans swept.</summary>
internal static class PruneText
{
    public static IEnumerable<string> Lines(IEnumerable<PruneBackupsOutput> outputs, bool dryRun)
    {
        foreach (var output in outputs)
        {
            yield return $"{output.Target}: {output.Note}";
            foreach (var d in output.Decisions)
            {
                string verb = d.Keep ? "keep  " : dryRun ? "would remove" : "remove";
                yield return $"  {verb,-12} {d.BackupId}  {(d.Keep ? string.Join("; ", d.Reasons) : "no rule keeps it")}";
            }

            foreach (string marker in output.StaleMarkersRemoved)
            {
                yield return $"  {(dryRun ? "would clear" : "cleared"),-12} {marker}  (running marker of a backup that no longer runs: its lease lapsed)";
            }

            foreach (string orphan in output.OrphansRemoved)
            {
                yield return $"  swept        {orphan}  (data of an interrupted backup, no manifest)";
            }
        }
    }
}
