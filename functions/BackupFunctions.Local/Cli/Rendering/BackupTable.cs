using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>The <c>list</c> table: one row per backup with sizes and its last verify and restore test.</summary>
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

        yield return $"{"ID",-40} {"COMPLETED (UTC)",-20} {"RAW",10} {"STORED",10} {"VERIFY",-17} {"RESTORE-TEST",-12}";
        foreach (var e in entries)
        {
            var m = e.Manifest;
            yield return $"{m.Id,-40} {m.CompletedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {ByteSize.Format(m.RawBytes),10} {ByteSize.Format(m.StoredBytes),10} {e.LastVerify?.ToString() ?? "-",-17} {e.LastRestoreTest?.ToString() ?? "-",-12}";
        }
    }
}
