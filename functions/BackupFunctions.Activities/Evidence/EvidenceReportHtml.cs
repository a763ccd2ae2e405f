using System.Globalization;
using System.Text;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Evidence;

/// <summary>
/// The evidence report as one self-contained HTML page (inline CSS, no scripts, nothing fetched): a
/// summary table with a row per target, the recovery objectives, then per target its gaps and a row
/// per backup with its checks, protection and key id. Every text is HTML-encoded.
/// </summary>
public static class EvidenceReportHtml
{
    public static string Render(EvidenceReport report)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>backupfn evidence report {report.GeneratedAt:yyyy-MM-dd}</title>
            <style>
            {ReportStyle.Css}
            h2 {"{"} font-size: 16px; margin: 20px 0 0; {"}"}
            tr.succeeded td:nth-child(2) {"{"} color: inherit; font-weight: normal; {"}"}
            </style></head><body>
            <h1>Backup evidence, container {E(report.Container)}</h1>
            <p>Backups completed from {report.Since:yyyy-MM-dd HH:mm} to {report.GeneratedAt:yyyy-MM-dd HH:mm} UTC; generated {report.GeneratedAt:yyyy-MM-dd HH:mm:ss} UTC.</p>
            <table id="targets"><thead><tr><th>Target</th><th>Engine</th><th>Backups</th><th>Verified Ok</th><th>Restore tests passed</th><th>Encryption keys</th><th>Legal holds</th><th>Gaps</th><th>Objectives</th></tr></thead><tbody>

            """);
        foreach (var t in report.Targets)
        {
            int verified = t.Backups.Count(b => b.Checks.Any(c => c.Kind == VerifyBackupActivity.CheckKind && c.Outcome == nameof(VerificationStatus.Ok)));
            int tested = t.Backups.Sum(b => b.Checks.Count(c => c.Kind == RestoreTestActivity.CheckKind && c.Outcome == nameof(RestoreTestOutcome.Passed)));
            bool fine = t.Gaps.Count == 0 && !t.Objectives.Breached && t.Backups.Count > 0;
            html.Append(CultureInfo.InvariantCulture,
                $"<tr class=\"{(fine ? "succeeded" : "failed")}\" data-target=\"{E(t.Target)}\"><td>{E(t.Target)}</td><td>{E(t.Engine)}</td><td class=\"num\">{t.Backups.Count}</td>"
                + $"<td class=\"num\">{verified}</td><td class=\"num\">{tested}</td><td>{E(t.EncryptionKeyIds.Count == 0 ? "none" : string.Join(", ", t.EncryptionKeyIds))}</td>"
                + $"<td class=\"num\">{t.Backups.Count(b => b.LegalHold || b.LegalHoldInStore)}</td><td class=\"num\">{t.Gaps.Count}</td>"
                + $"<td>{(t.Objectives.Breached ? "<span class=\"error\">not met</span>" : "met")}</td></tr>\n");
        }

        html.Append("</tbody></table>\n");
        html.Append(ObjectivesHtml.Table(report.Targets.ToDictionary(t => t.Target, t => t.Objectives, StringComparer.Ordinal)));
        foreach (var t in report.Targets)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"target-{E(t.Target)}\">{E(t.Target)}</h2>\n");
            html.Append(CultureInfo.InvariantCulture, $"<p>Gaps longer than {E(Health.ObjectivesReport.Text(t.GapThreshold))} ({E(t.GapThresholdSource)}): ");
            html.Append(t.Gaps.Count == 0 ? "none" : string.Join("; ", t.Gaps.Select(g =>
                string.Create(CultureInfo.InvariantCulture, $"{g.From:yyyy-MM-dd HH:mm} to {g.To:yyyy-MM-dd HH:mm} ({E(Health.ObjectivesReport.Text(g.Length))})"))));
            html.Append("</p>\n<table class=\"backups\"><thead><tr><th>Backup</th><th>Completed (UTC)</th><th>Stored</th><th>SHA-256 (stored)</th><th>Encryption</th><th>Immutability</th><th>Legal hold</th><th>Checks</th></tr></thead><tbody>\n");
            foreach (var b in t.Backups)
            {
                string checks = string.Join("<br>", b.Checks.Select(c => string.Create(CultureInfo.InvariantCulture,
                    $"{c.At:yyyy-MM-dd HH:mm:ss} {E(c.Kind)} {E(c.Outcome)}{(c.Seconds is { } s ? $" ({s:F1} s)" : "")}{(c.Destination is { } d ? $" into {E(d)}" : "")}")));
                string immutability = b.Immutability.Status + (b.Immutability.RetainUntil is { } until ? string.Create(CultureInfo.InvariantCulture, $" until {until:yyyy-MM-dd}") : "");
                string hold = b.LegalHold || b.LegalHoldInStore ? $"on (recorded {(b.LegalHold ? "on" : "off")}, store {(b.LegalHoldInStore ? "on" : "off")})" : "off";
                bool ok = b.Checks.LastOrDefault(c => c.Kind == VerifyBackupActivity.CheckKind)?.Outcome == nameof(VerificationStatus.Ok);
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr class=\"{(ok ? "succeeded" : "failed")}\"><td>{E(b.Id)}</td><td>{b.CompletedAt:yyyy-MM-dd HH:mm:ss}</td><td class=\"num\">{RunReportHtml.Bytes(b.StoredBytes)}</td>"
                    + $"<td><code>{E(b.Sha256Stored)}</code></td><td>{E(b.Encryption is { } enc ? $"{enc.Alg}, key {enc.KeyId}" : "none")}</td><td>{E(immutability)}</td><td>{E(hold)}</td><td>{(checks.Length == 0 ? "none" : checks)}</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        return html.Append("</body></html>\n").ToString();
    }

    private static string E(string text) => RunReportHtml.E(text);
}
