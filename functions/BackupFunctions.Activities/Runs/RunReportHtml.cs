using System.Globalization;
using System.Net;
using System.Text;

namespace BackupFunctions.Activities.Runs;

/// <summary>One point of a target's history: when a backup completed and how big it was.</summary>
public sealed record SizePoint(DateTimeOffset CompletedAt, long RawBytes, long StoredBytes);

/// <summary>
/// The run report as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched):
/// a row per target with outcome, sizes, durations, verify and restore-test results, and a small
/// chart of stored size over time per target from the catalog. Every text is HTML-encoded.
/// </summary>
public static class RunReportHtml
{
    private const int ChartWidth = 560;
    private const int ChartHeight = 160;
    private static readonly string[] Colors = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2"];

    public static string Render(RunReport report, IReadOnlyDictionary<string, IReadOnlyList<SizePoint>> history)
    {
        var html = new StringBuilder();
        string status = report.Succeeded ? "ok" : "failed";
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>backupfn run {E(report.RunId)}</title>
            <style>
            {ReportStyle.Css}
            </style></head><body>
            <h1>Backup run {E(report.RunId)} — <span class="status-{status}">{E(report.Status.ToString())}</span></h1>
            <p>Trigger {E(report.Trigger)}; started {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC, took {(report.CompletedAt - report.StartedAt).TotalSeconds:F1} s;
            {report.Targets.Count(t => t.Succeeded)} of {report.Targets.Count} targets succeeded.</p>
            <table id="targets"><thead><tr><th>Target</th><th>Outcome</th><th>Backup</th><th>Raw</th><th>Stored</th><th>Backup time</th><th>Verify</th><th>Restore test</th><th>Pruned</th></tr></thead><tbody>

            """);
        foreach (var t in report.Targets)
        {
            string test = t.RestoreTestPassed switch { true => $"passed ({t.RestoreTestSeconds:F1} s)", false => "failed", null => "-" };
            html.Append(CultureInfo.InvariantCulture,
                $"<tr class=\"{(t.Succeeded ? "succeeded" : "failed")}\" data-target=\"{E(t.Target)}\"><td>{E(t.Target)}</td><td>{E(t.Outcome.ToString())}</td><td>{E(t.BackupId ?? "-")}</td>"
                + $"<td class=\"num\">{Bytes(t.RawBytes)}</td><td class=\"num\">{Bytes(t.StoredBytes)}</td><td class=\"num\">{t.BackupSeconds:F1} s</td>"
                + $"<td title=\"{E(t.VerifyDetail ?? "")}\">{E(t.Verify ?? "-")}</td><td title=\"{E(t.RestoreTestDetail ?? "")}\">{E(test)}</td><td class=\"num\">{t.Pruned.Count}</td></tr>\n");
            if (t.Error is not null)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr class=\"failed\"><td colspan=\"9\" class=\"error\">{E(t.Error)}</td></tr>\n");
            }
        }

        html.Append("</tbody></table>\n");
        if (report.Objectives is { Count: > 0 } objectives)
        {
            html.Append(ObjectivesHtml.Table(objectives));
        }

        html.Append("<h2 style=\"font-size:16px\">Stored size over time</h2>\n");
        html.Append(Chart(history));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>One polyline per target over a shared time axis and a shared size axis starting at zero.</summary>
    private static string Chart(IReadOnlyDictionary<string, IReadOnlyList<SizePoint>> history)
    {
        var series = history.Where(h => h.Value.Count > 0).OrderBy(h => h.Key, StringComparer.Ordinal).ToList();
        if (series.Count == 0)
        {
            return "<p id=\"chart\">No backups in the catalog yet.</p>\n";
        }

        var points = series.SelectMany(s => s.Value).ToList();
        long first = points.Min(p => p.CompletedAt).ToUnixTimeSeconds();
        long last = points.Max(p => p.CompletedAt).ToUnixTimeSeconds();
        double max = Math.Max(1, points.Max(p => p.StoredBytes));
        double X(SizePoint p) => 50 + ((last == first ? 0.5 : (p.CompletedAt.ToUnixTimeSeconds() - first) / (double)(last - first)) * (ChartWidth - 70));
        double Y(SizePoint p) => ChartHeight - 20 - (p.StoredBytes / max * (ChartHeight - 40));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{ChartHeight + (series.Count * 18)}\" role=\"img\" aria-label=\"stored size over time\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"50\" y1=\"{ChartHeight - 20}\" x2=\"{ChartWidth - 10}\" y2=\"{ChartHeight - 20}\" stroke=\"#9ca3af\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"50\" y1=\"20\" x2=\"50\" y2=\"{ChartHeight - 20}\" stroke=\"#9ca3af\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"24\" font-size=\"11\">{Bytes((long)max)}</text><text x=\"4\" y=\"{ChartHeight - 22}\" font-size=\"11\">0</text>\n");
        for (int i = 0; i < series.Count; i++)
        {
            string color = Colors[i % Colors.Length];
            var ordered = series[i].Value.OrderBy(p => p.CompletedAt).ToList();
            string line = string.Join(" ", ordered.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p):F1},{Y(p):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{line}\"/>");
            foreach (var p in ordered)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p):F1}\" cy=\"{Y(p):F1}\" r=\"3\" fill=\"{color}\"><title>{E(series[i].Key)} {p.CompletedAt:yyyy-MM-dd HH:mm} {Bytes(p.StoredBytes)}</title></circle>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"\n<rect x=\"54\" y=\"{ChartHeight + (i * 18) - 2}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"70\" y=\"{ChartHeight + (i * 18) + 7}\" font-size=\"12\">{E(series[i].Key)} ({ordered.Count} backups)</text>\n");
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>HTML-encodes a text (every text on the report pages goes through it).</summary>
    internal static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A size in binary units, as the pages show it.</summary>
    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
