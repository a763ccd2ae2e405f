using System.CommandLine;
using System.Globalization;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Evidence;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary>
/// <c>backupfn report</c>: evidence for an auditor over a period: per target every backup, verification
/// and restore test with outcome and time, immutability and holds, encryption key ids, the recovery
/// objectives achieved, and gaps. Text, JSON (--json) or a self-contained HTML page (--html FILE).
/// </summary>
internal static class ReportVerb
{
    public static VerbDefinition Define(SharedOptions shared)
    {
        var since = new Option<string>("--since") { Description = "How far back: a number with d (days), h (hours) or w (weeks)", DefaultValueFactory = _ => "30d" };
        var html = new Option<string?>("--html") { Description = "Also write the report as a self-contained HTML page to FILE" };
        return new VerbDefinition("report", "Evidence for an auditor: backups, verifications, restore tests, immutability, holds, keys, RPO/RTO achieved and gaps",
            (s, r, ct) => RunAsync(s, r.GetValue(since)!, r.GetValue(html), r.GetValue(shared.Target), ct),
            [since, html, shared.Target]);
    }

    /// <summary>"30d", "12h", "2w" as a duration; a configuration error naming the option otherwise.</summary>
    public static TimeSpan ParseSince(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t.Length >= 2 && int.TryParse(t[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
        {
            switch (t[^1])
            {
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
                case 'w': return TimeSpan.FromDays(7 * n);
            }
        }

        throw new BackupConfigurationException($"--since '{text}' is not a period (use e.g. 30d, 12h or 2w)");
    }

    private static async Task<int> RunAsync(CliSession s, string since, string? htmlFile, string? target, CancellationToken ct)
    {
        var period = ParseSince(since);
        var report = await new EvidenceCollector(s.Runtime.Vault, s.Runtime.Targets, s.Runtime.Time)
            .CollectAsync(period, target is null ? null : [target], ct);
        if (htmlFile is not null)
        {
            await File.WriteAllTextAsync(htmlFile, EvidenceReportHtml.Render(report), ct);
        }

        if (s.Json)
        {
            s.WriteJson(report);
        }
        else
        {
            await s.WriteLinesAsync(EvidenceText.Lines(report));
            if (htmlFile is not null)
            {
                await s.Out.WriteLineAsync($"wrote {htmlFile}");
            }
        }

        return ExitCodes.Ok;
    }
}
