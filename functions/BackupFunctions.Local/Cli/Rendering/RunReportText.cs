using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>A backup run as text: one line per target (backup, verify, restore test, outcome, a suspect verdict), then one per run.</summary>
internal static class RunReportText
{
    /// <summary>A target's result line; a failure's reason is not repeated here: the verb prints it once, on stderr.</summary>
    public static string Describe(TargetReport t)
    {
        if (t.BackupId is null)
        {
            return $"{t.Target}: FAILED";
        }

        string backup = $"{t.Target}: backed up as {t.BackupId}: {ByteSize.Format(t.RawBytes)} raw -> {ByteSize.Format(t.StoredBytes)} stored in {t.BackupSeconds:F1} s";
        string verify = $"verify {t.Verify ?? "-"}";
        string test = t.RestoreTestPassed switch
        {
            true => $"restore test passed in {t.RestoreTestSeconds:F1} s",
            false => "restore test FAILED",
            null when t.RestoreTestDetail == Activities.Backups.RestoreTestActivity.DisabledDetail => "restore test disabled",
            null => "restore test not run",
        };
        string copies = string.Concat(t.Copies.Select(c => $"; copied to {c.Vault} ({c.Method}, SHA-256 re-read)"));
        string outcome = t.Succeeded ? "" : "; FAILED";
        string anomaly = t.Suspect ? $"; SUSPECT (anomaly guard): {t.AnomalyDetail}; pruning of {t.Target} is frozen until 'backupfn ack {t.BackupId}'" : "";
        return $"{backup}; {verify}{copies}; {test}{outcome}{anomaly}";
    }

    /// <summary>How many targets succeeded and where the run's report blob is.</summary>
    public static string Summary(RunReport report) =>
        $"run {report.RunId}: {report.Targets.Count(t => t.Succeeded)}/{report.Targets.Count} targets succeeded; report {BlobLayout.RunReport(report.RunId, new DateTimeOffset(report.StartedAt, TimeSpan.Zero))}";
}
