using System.Globalization;
using BackupFunctions.Activities.Evidence;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>The text of <c>backupfn report</c>: one summary line per target, then its gaps and breaches.</summary>
internal static class EvidenceText
{
    public static IEnumerable<string> Lines(EvidenceReport report)
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"evidence for container {report.Container}, {report.Since:yyyy-MM-dd HH:mm} to {report.GeneratedAt:yyyy-MM-dd HH:mm} UTC");
        yield return $"{"TARGET",-16} {"BACKUPS",7} {"VERIFIED",8} {"TESTED",6} {"HOLDS",5} {"KEYS",-16} {"RPO GOT/WANT",-18} {"RTO P95/WANT",-18} GAPS";
        foreach (var t in report.Targets)
        {
            int verified = t.Backups.Count(b => b.Checks.Any(c => c.Kind == Activities.Backups.VerifyBackupActivity.CheckKind && c.Outcome == nameof(Vault.Catalog.VerificationStatus.Ok)));
            int tested = t.Backups.Count(b => b.Checks.Any(c => c.Kind == Activities.Backups.RestoreTestActivity.CheckKind && c.Outcome == nameof(Vault.Catalog.RestoreTestOutcome.Passed)));
            string keys = t.EncryptionKeyIds.Count == 0 ? "none" : string.Join(",", t.EncryptionKeyIds);
            yield return $"{t.Target,-16} {t.Backups.Count,7} {verified,8} {tested,6} {t.Backups.Count(b => b.LegalHold || b.LegalHoldInStore),5} {keys,-16} "
                + $"{HealthTable.Rpo(t.Objectives),-18} {HealthTable.Rto(t.Objectives),-18} {t.Gaps.Count}";
            foreach (var g in t.Gaps)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"  gap: {g.From:yyyy-MM-dd HH:mm} to {g.To:yyyy-MM-dd HH:mm} ({ObjectivesReport.Text(g.Length)}, longer than {ObjectivesReport.Text(t.GapThreshold)})");
            }

            foreach (string breach in t.Objectives.Breaches)
            {
                yield return $"  objective not met: {breach}";
            }
        }
    }
}
