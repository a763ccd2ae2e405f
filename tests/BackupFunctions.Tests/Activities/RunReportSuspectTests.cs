using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Tests.Activities;

/// <summary>The run report's HTML page says when a backup is suspect (anomaly guard), encoded, and says nothing for a normal one.</summary>
public class RunReportSuspectTests
{
    private static RunReport Run(AnomalyOutcome? anomaly, string detail) =>
        new("run-20261122T020000Z-1a2b", "timer", new DateTime(2026, 11, 22, 2, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 22, 2, 1, 0, DateTimeKind.Utc), RunState.Completed,
            [new TargetReport { Target = "orders", Outcome = TargetOutcome.Succeeded, BackupId = "orders-20261122T020000Z-3f9a", Anomaly = anomaly, AnomalyDetail = detail }]);

    [Fact]
    public void Html_SuspectBackup_HasASuspectRowWithTheFindingsAndHowToAck()
    {
        string html = RunReportHtml.Render(Run(AnomalyOutcome.Suspect, "public.orders 200 vs median 2000 (-90%) <b>"), new Dictionary<string, IReadOnlyList<SizePoint>>());

        Assert.Contains("<tr class=\"suspect\" data-target=\"orders\">", html, StringComparison.Ordinal);
        Assert.Contains("SUSPECT (anomaly guard): public.orders 200 vs median 2000 (-90%) &lt;b&gt;; pruning of orders is frozen", html, StringComparison.Ordinal);
        Assert.Contains("backupfn ack orders-20261122T020000Z-3f9a", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_NormalBackup_HasNoSuspectRow()
    {
        string html = RunReportHtml.Render(Run(AnomalyOutcome.Normal, "within -50% / +300%"), new Dictionary<string, IReadOnlyList<SizePoint>>());

        Assert.DoesNotContain("<tr class=\"suspect\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("SUSPECT", html, StringComparison.Ordinal);
    }
}
