using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>The <c>list</c> table: one row per backup with sizes, its last verify and restore test, and the anomaly guard's verdict.</summary>
internal static class BackupTable
{
    /// <param name="target">The target the list was limited to, named when there is nothing to show.</param>
    public static IEnumerable<string> Lines(IReadOnlyList<CatalogEntry> entries, string? target)
    {
        if (entries.Count == 0)
        {
            yield return target is null ? "no backups" : $"no backups of '{target}'";
            yield break;
        }

        yield return $"{"ID",-40} {"COMPLETED (UTC)",-20} {"RAW",10} {"STORED",10} {"VERIFY",-17} {"RESTORE-TEST",-12} ANOMALY";
        foreach (var e in entries)
        {
            var m = e.Manifest;
            yield return $"{m.Id,-40} {m.CompletedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {ByteSize.Format(m.RawBytes),10} {ByteSize.Format(m.StoredBytes),10} {e.LastVerify?.ToString() ?? "-",-17} {e.LastRestoreTest?.ToString() ?? "-",-12} {Anomaly(e)}";
        }
    }

    /// <summary>The anomaly guard's verdict; a suspect says whether it was acknowledged.</summary>
    private static string Anomaly(CatalogEntry e) => e.LastAnomaly switch
    {
        null => "-",
        Vault.Catalog.AnomalyOutcome.Suspect => e.IsSuspect ? "SUSPECT (not acknowledged)" : "Suspect (acknowledged)",
        { } outcome => outcome.ToString(),
    };
}
