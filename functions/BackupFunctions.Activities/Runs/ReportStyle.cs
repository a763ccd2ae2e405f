namespace BackupFunctions.Activities.Runs;

/// <summary>The one stylesheet of the report pages (run report, evidence report): inline, so a page is a single file.</summary>
public static class ReportStyle
{
    public const string Css = """
        body { font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #111827; background: #fff; }
        h1 { font-size: 20px; margin: 0 0 4px; }
        .status-ok { color: #15803d; } .status-failed { color: #b91c1c; }
        table { border-collapse: collapse; margin: 16px 0; }
        th, td { border: 1px solid #d1d5db; padding: 6px 10px; text-align: left; vertical-align: top; }
        th { background: #f3f4f6; }
        tr.failed td { background: #fef2f2; } tr.succeeded td:nth-child(2) { color: #15803d; font-weight: bold; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .error { color: #b91c1c; }
        """;
}
