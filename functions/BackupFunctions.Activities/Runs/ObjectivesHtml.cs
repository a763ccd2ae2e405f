using System.Text;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Activities.Runs;

/// <summary>
/// The recovery objectives as an HTML table (one row per target: RPO wanted, largest gap, newest age;
/// RTO wanted, last, p50, p95; breaches), shared by the run report page and the evidence report.
/// </summary>
public static class ObjectivesHtml
{
    public static string Table(IReadOnlyDictionary<string, ObjectivesReport> objectives)
    {
        var html = new StringBuilder("<h2 style=\"font-size:16px\">Recovery objectives</h2>\n<table id=\"objectives\"><thead><tr><th>Target</th>"
            + "<th>RPO wanted</th><th>Largest gap</th><th>Newest age</th><th>RTO wanted</th><th>Last restore test</th><th>p50</th><th>p95</th><th>Breaches</th></tr></thead><tbody>\n");
        foreach (var (target, o) in objectives.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            string state = o.Breached ? "failed" : "succeeded";
            html.Append($"<tr class=\"{state}\" data-target=\"{E(target)}\"><td>{E(target)}</td><td>{T(o.Rpo.Objective)}</td><td class=\"num\">{T(o.Rpo.LargestGap)}</td>"
                + $"<td class=\"num\">{T(o.Rpo.NewestAge)}</td><td>{T(o.Rto.Objective)}</td><td class=\"num\">{T(o.Rto.Last)}</td><td class=\"num\">{T(o.Rto.P50)}</td>"
                + $"<td class=\"num\">{T(o.Rto.P95)}</td><td class=\"{(o.Breached ? "error" : "")}\">{(o.Breached ? E(string.Join("; ", o.Breaches)) : "met")}</td></tr>\n");
        }

        return html.Append("</tbody></table>\n").ToString();
    }

    private static string T(TimeSpan? t) => t is { } v ? E(ObjectivesReport.Text(v)) : "-";

    private static string E(string text) => RunReportHtml.E(text);
}
