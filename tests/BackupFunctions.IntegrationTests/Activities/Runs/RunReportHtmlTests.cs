using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Activities.Runs;

/// <summary>The HTML run report, rendered by a real headless Chromium (Debian's, installed by scripts/setup.sh).</summary>
public class RunReportHtmlTests
{
    private static RunReport Report() => new("run-20261122T020000Z-ab12", "timer", new DateTime(2026, 11, 22, 2, 0, 0, DateTimeKind.Utc),
        new DateTime(2026, 11, 22, 2, 0, 42, DateTimeKind.Utc), RunState.Failed,
        [
            new TargetReport
            {
                Target = "orders", Outcome = TargetOutcome.Succeeded, BackupId = "orders-20261122T020000Z-1a2b", RawBytes = 907_000_000, StoredBytes = 414_000_000,
                BackupSeconds = 9.5, Verify = "Ok", RestoreTestPassed = true, RestoreTestSeconds = 31.2, Pruned = ["orders-20261001T020000Z-0000"],
            },
            new TargetReport { Target = "cache", Outcome = TargetOutcome.Failed, Error = "connection refused at 127.0.0.1:6379 <script>alert(1)</script>" },
        ]);

    private static Dictionary<string, IReadOnlyList<SizePoint>> History() => new()
    {
        ["orders"] = Enumerable.Range(0, 14).Select(d => new SizePoint(new DateTimeOffset(2026, 11, 8 + d, 2, 0, 0, TimeSpan.Zero), 900_000_000 + (d * 1_000_000), 400_000_000 + (d * 2_000_000))).ToList(),
        ["cache"] = Enumerable.Range(0, 10).Select(d => new SizePoint(new DateTimeOffset(2026, 11, 12 + d, 2, 0, 0, TimeSpan.Zero), 60_000_000, 17_000_000 + (d * 500_000))).ToList(),
    };

    private static Task<string> ChromiumAsync(params string[] args) => Chromium.RunAsync(args);

    [Fact]
    public async Task Report_RendersInChromium_WithARowPerTargetAndAChart_AndEscapesText()
    {
        string dir = Directory.CreateTempSubdirectory("run-report").FullName;
        string page = Path.Combine(dir, "report.html");
        string shot = Path.Combine(dir, "report.png");
        await File.WriteAllTextAsync(page, RunReportHtml.Render(Report(), History()));

        await ChromiumAsync($"--screenshot={shot}", new Uri(page).AbsoluteUri);
        string dom = await ChromiumAsync("--dump-dom", new Uri(page).AbsoluteUri);
        var png = PngImage.Read(await File.ReadAllBytesAsync(shot));

        Assert.Equal(1100, png.Width);
        int white = 0, blue = 0, green = 0;
        var colors = new HashSet<int>();
        for (int y = 0; y < png.Height; y++)
        {
            for (int x = 0; x < png.Width; x++)
            {
                var (r, g, b) = png[x, y];
                white += r > 245 && g > 245 && b > 245 ? 1 : 0;
                blue += Math.Abs(r - 0x25) < 30 && Math.Abs(g - 0x63) < 30 && Math.Abs(b - 0xeb) < 30 ? 1 : 0; // the first series (#2563eb)
                green += Math.Abs(r - 0x16) < 30 && Math.Abs(g - 0xa3) < 30 && Math.Abs(b - 0x4a) < 30 ? 1 : 0; // the second series (#16a34a)
                colors.Add((r << 16) | (g << 8) | b);
            }
        }

        double inked = 1 - (white / (double)(png.Width * png.Height));
        Assert.True(inked > 0.02, $"the page looks blank: {inked:P1} of it is not white");
        Assert.True(colors.Count > 50, $"only {colors.Count} colours: text and chart did not render");
        Assert.True(blue > 100 && green > 100, $"chart lines missing: {blue} blue and {green} green pixels");
        Assert.Contains("data-target=\"orders\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-target=\"cache\"", dom, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", dom, StringComparison.Ordinal);
        Assert.Contains("865.0 MiB", dom, StringComparison.Ordinal);
        Assert.Contains("orders (14 backups)", dom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteRunReport_PutsTheHtmlPageBesideTheJson()
    {
        await using var db = await TestDatabase.CreateAsync("report_html", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None);
        var report = Report() with { Targets = [Report().Targets[0] with { BackupId = backup.BackupId }] };

        string json = await vault.Runtime.WriteRunReportActivity().RunAsync(report, CancellationToken.None);
        string again = await vault.Runtime.WriteRunReportActivity().RunAsync(report, CancellationToken.None); // a retry of the same activity

        var html = vault.Container.GetBlobClient(Path.ChangeExtension(json, ".html"));
        var properties = (await html.GetPropertiesAsync()).Value;
        string page = (await html.DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(json, again);
        Assert.Equal("text/html; charset=utf-8", properties.ContentType);
        Assert.Contains("orders (1 backups)", page, StringComparison.Ordinal); // the chart drew the catalog's one backup
        Assert.Contains(backup.BackupId, page, StringComparison.Ordinal);
    }
}
