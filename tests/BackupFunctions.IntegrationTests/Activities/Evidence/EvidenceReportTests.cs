using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Evidence;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Encryption;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.IntegrationTests.Activities.Evidence;

/// <summary>`backupfn report`: evidence gathered from a real vault (PostgreSQL, Azurite), as JSON and as a page rendered by headless Chromium.</summary>
public class EvidenceReportTests
{
    private const string Table = "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 40);";

    /// <summary>
    /// Two backups of "orders" three hours apart (RPO 1 h), each verified and restore-tested, the first
    /// under a legal hold; one encrypted backup of "secure". The hold is the record LegalHoldActivity
    /// writes once the store accepted it: Azurite cannot hold, so the record is written directly.
    /// </summary>
    private static async Task<(EvidenceReport Report, string First, string Second, string Secure)> GatherAsync(TestVault vault, FakeTimeProvider clock)
    {
        var r = vault.Runtime;
        var ct = CancellationToken.None;
        string first = (await r.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, ct)).BackupId;
        await r.VerifyBackupActivity().RunAsync(first, null, ct);
        await r.RestoreTestActivity().RunAsync(first, null, ct);
        var stored = await StoredBackup.GetAsync(r.Vault, r.Targets, first, ct);
        await stored.RecordAsync(r.Vault, new CheckRecord(first, LegalHoldActivity.CheckKind, "On", "legal hold on, requested by auditor@example.com", clock.GetUtcNow(), clock.GetUtcNow()), ct);
        clock.Advance(TimeSpan.FromHours(3));
        string second = (await r.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, ct)).BackupId;
        await r.VerifyBackupActivity().RunAsync(second, null, ct);
        await r.RestoreTestActivity().RunAsync(second, null, ct);
        string secure = (await r.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("secure"), null, ct)).BackupId;
        await r.VerifyBackupActivity().RunAsync(secure, null, ct);
        var report = await new EvidenceCollector(r.Vault, r.Targets, clock).CollectAsync(TimeSpan.FromDays(30), null, ct);
        return (report, first, second, secure);
    }

    private static async Task<TestVault> VaultAsync(TestDatabase orders, TestDatabase secure, FakeTimeProvider clock)
    {
        string key = Path.Combine(Directory.CreateTempSubdirectory("backupfn-key").FullName, "backup.key");
        await File.WriteAllTextAsync(key, FramedAesGcm.NewKey());
        var ordersTarget = TestVault.Postgres(orders.Connection);
        ordersTarget.Objectives = new RecoveryObjectiveOptions { Rpo = TimeSpan.FromHours(1), Rto = TimeSpan.FromMinutes(15) };
        var secureTarget = TestVault.Postgres(secure.Connection);
        var vault = await TestVault.CreateAsync(new() { ["orders"] = ordersTarget, ["secure"] = secureTarget }, time: clock);
        vault.Options.EncryptionKeys["k1"] = new EncryptionKeyOptions { KeyFile = key };
        secureTarget.Encryption = new TargetEncryptionOptions { KeyId = "k1" }; // after the key exists, as validation wants
        return vault;
    }

    [Fact]
    public async Task Json_HasEveryBackupCheckHoldKeyAndGap_AndTheObjectivesAchieved_WithoutSecrets()
    {
        await using var orders = await TestDatabase.CreateAsync("evid_orders", Table);
        await using var secure = await TestDatabase.CreateAsync("evid_secure", Table);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var vault = await VaultAsync(orders, secure, clock);

        var (report, first, second, secureId) = await GatherAsync(vault, clock);
        string json = JsonSerializer.Serialize(report, VaultJson.Options); // what `report --json` prints
        var root = JsonDocument.Parse(json).RootElement;

        var targets = root.GetProperty("targets").EnumerateArray().ToDictionary(t => t.GetProperty("target").GetString()!);
        var o = targets["orders"];
        var backups = o.GetProperty("backups").EnumerateArray().ToList();
        Assert.Equal([first, second], backups.Select(b => b.GetProperty("id").GetString()));
        foreach (var b in backups)
        {
            var checks = b.GetProperty("checks").EnumerateArray().Select(c => (c.GetProperty("kind").GetString(), c.GetProperty("outcome").GetString())).ToList();
            Assert.Contains(("verify", "Ok"), checks);
            Assert.Contains(("restore-test", "Passed"), checks);
            Assert.All(b.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("seconds").GetDouble() >= 0));
            Assert.Equal("UnsupportedByStore", b.GetProperty("immutability").GetProperty("status").GetString());
            Assert.Equal(64, b.GetProperty("sha256Stored").GetString()!.Length);
        }

        Assert.True(backups[0].GetProperty("legalHold").GetBoolean());
        Assert.False(backups[0].GetProperty("legalHoldInStore").GetBoolean()); // Azurite holds nothing: the report shows both views
        Assert.False(backups[1].GetProperty("legalHold").GetBoolean());
        var gap = Assert.Single(o.GetProperty("gaps").EnumerateArray());
        Assert.InRange(TimeSpan.Parse(gap.GetProperty("length").GetString()!, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromHours(3), TimeSpan.FromHours(3.1));
        Assert.Equal("RPO objective", o.GetProperty("gapThresholdSource").GetString());
        var objectives = o.GetProperty("objectives");
        Assert.False(objectives.GetProperty("rpo").GetProperty("met").GetBoolean());
        Assert.Equal(2, objectives.GetProperty("rto").GetProperty("restoreTests").GetInt32());
        Assert.True(objectives.GetProperty("rto").GetProperty("met").GetBoolean());
        Assert.Contains(objectives.GetProperty("breaches").EnumerateArray(), b => b.GetString()!.StartsWith("RPO 60.0 min: a gap of 3.0 h", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Array, o.GetProperty("encryptionKeyIds").ValueKind);
        Assert.Empty(o.GetProperty("encryptionKeyIds").EnumerateArray());

        var s = targets["secure"];
        Assert.Equal(["k1"], s.GetProperty("encryptionKeyIds").EnumerateArray().Select(k => k.GetString()));
        var encrypted = Assert.Single(s.GetProperty("backups").EnumerateArray());
        Assert.Equal(secureId, encrypted.GetProperty("id").GetString());
        Assert.Equal("k1", encrypted.GetProperty("encryption").GetProperty("keyId").GetString());
        Assert.Empty(s.GetProperty("gaps").EnumerateArray());

        Assert.DoesNotContain(TestServers.PgPassword, json, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(vault.Options.EncryptionKeys["k1"].KeyFile!).Trim(), json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Html_RendersInChromium_NotBlank_WithARowPerTarget_AndTheObjectivesTable()
    {
        await using var orders = await TestDatabase.CreateAsync("evid_html_orders", Table);
        await using var secure = await TestDatabase.CreateAsync("evid_html_secure", Table);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var vault = await VaultAsync(orders, secure, clock);
        var (report, first, _, _) = await GatherAsync(vault, clock);
        string dir = Directory.CreateTempSubdirectory("evidence-report").FullName;
        string page = Path.Combine(dir, "evidence.html");
        string shot = Path.Combine(dir, "evidence.png");
        await File.WriteAllTextAsync(page, EvidenceReportHtml.Render(report));

        await Chromium.RunAsync($"--screenshot={shot}", new Uri(page).AbsoluteUri);
        string dom = await Chromium.RunAsync("--dump-dom", new Uri(page).AbsoluteUri);
        var png = PngImage.Read(await File.ReadAllBytesAsync(shot));

        int white = 0, header = 0, breachRow = 0;
        var colors = new HashSet<int>();
        for (int y = 0; y < png.Height; y++)
        {
            for (int x = 0; x < png.Width; x++)
            {
                var (r, g, b) = png[x, y];
                white += r > 245 && g > 245 && b > 245 ? 1 : 0;
                header += (r, g, b) == (0xf3, 0xf4, 0xf6) ? 1 : 0; // table header cells (#f3f4f6)
                breachRow += (r, g, b) == (0xfe, 0xf2, 0xf2) ? 1 : 0; // rows of a target that misses its objectives (#fef2f2)
                colors.Add((r << 16) | (g << 8) | b);
            }
        }

        double inked = 1 - (white / (double)(png.Width * png.Height));
        Assert.True(inked > 0.02, $"the page looks blank: {inked:P1} of it is not white");
        Assert.True(colors.Count > 30, $"only {colors.Count} colours: the text did not render");
        Assert.True(header > 1000, $"no table header visible ({header} header pixels)");
        Assert.True(breachRow > 1000, $"the breached target's row is not highlighted ({breachRow} pixels)");
        Assert.Contains("<table id=\"targets\">", dom, StringComparison.Ordinal);
        Assert.Contains("data-target=\"orders\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-target=\"secure\"", dom, StringComparison.Ordinal);
        Assert.Contains("<table id=\"objectives\">", dom, StringComparison.Ordinal);
        Assert.Contains(first, dom, StringComparison.Ordinal);
        Assert.Contains("key k1", dom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verb_PrintsJson_WritesTheHtmlFile_AndRefusesABadPeriod()
    {
        await using var db = await TestDatabase.CreateAsync("evid_cli", Table);
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(db.Connection) });
        Assert.Equal(0, (await cli.RunAsync("backup", "--no-retry")).Exit);
        string page = Path.Combine(Directory.CreateTempSubdirectory("evidence-cli").FullName, "report.html");

        var json = await cli.RunAsync("report", "--since", "7d", "--json", "--html", page);
        var text = await cli.RunAsync("report");
        var bad = await cli.RunAsync("report", "--since", "7x");

        Assert.Equal(0, json.Exit);
        var target = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("targets").EnumerateArray());
        Assert.Equal("orders", target.GetProperty("target").GetString());
        Assert.Single(target.GetProperty("backups").EnumerateArray());
        Assert.Contains("data-target=\"orders\"", await File.ReadAllTextAsync(page), StringComparison.Ordinal);
        Assert.Equal(0, text.Exit);
        Assert.Contains("orders", text.Out, StringComparison.Ordinal);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--since '7x' is not a period (use e.g. 30d, 12h or 2w)", bad.Err, StringComparison.Ordinal);
    }
}
