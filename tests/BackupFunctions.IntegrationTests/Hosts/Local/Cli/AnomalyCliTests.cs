using System.Text.Json;
using System.Text.RegularExpressions;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>
/// The anomaly guard end to end through backupfn (issue 15 part 1), on real PostgreSQL and Azurite: two normal
/// backups, 90% of a table's rows deleted, a backup that is suspect; status exit 3 naming the table; prune
/// with KeepLast 1 removes nothing and says why; ack --by alice records who and when, status is ok, prune proceeds.
/// </summary>
public class AnomalyCliTests
{
    private const string Tables =
        "CREATE TABLE orders(id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 2000) g;" +
        "CREATE TABLE users(id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 300);";

    private static async Task<string> BackUpAsync(CliRunner cli)
    {
        var backup = await cli.RunAsync("backup", "--target", "orders");
        Assert.True(backup.Exit == 0, backup.Out + backup.Err);
        return Regex.Match(backup.Out, @"orders: backed up as (orders-\S+):").Groups[1].Value;
    }

    [Fact]
    public async Task MassDelete_StatusSuspectExit3_PruneFrozen_AckByAlice_ReleasesIt()
    {
        await using var db = await TestDatabase.CreateAsync("anomaly_cli", Tables);
        await using var cli = new CliRunner(new()
        {
            ["orders"] = new
            {
                Engine = "postgres", Connection = db.Connection,
                Retention = new { KeepLast = 1, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0 },
            },
        }, minRetentionDays: 0);

        string first = await BackUpAsync(cli);
        string second = await BackUpAsync(cli);
        Assert.Equal(0, (await cli.RunAsync("status")).Exit);
        // Each run prunes: KeepLast 1 left the second backup only.
        Assert.Equal([second], Ids(await cli.RunAsync("list", "--json")));

        await TestServers.ExecuteAsync(db.Name, "DELETE FROM orders WHERE id % 10 <> 0");
        var backup = await cli.RunAsync("backup", "--target", "orders");
        Assert.True(backup.Exit == 0, backup.Err); // a suspect backup is still a backup
        string suspect = Regex.Match(backup.Out, @"orders: backed up as (orders-\S+):").Groups[1].Value;
        Assert.Contains("SUSPECT (anomaly guard)", backup.Out, StringComparison.Ordinal);
        Assert.Contains($"backupfn ack {suspect}", backup.Out, StringComparison.Ordinal);

        var status = await cli.RunAsync("status");
        Assert.Equal(3, status.Exit);
        Assert.Matches($"orders +suspect .*backup {suspect} is suspect: .*public\\.orders 200 vs median 2000 \\(-90%\\)", status.Out);

        var list = await cli.RunAsync("list", "--target", "orders");
        Assert.Matches($"{suspect} .*SUSPECT \\(not acknowledged\\)", list.Out);

        var frozen = await cli.RunAsync("prune", "--target", "orders");
        Assert.Equal(0, frozen.Exit);
        Assert.Contains($"pruning frozen: backup {suspect} is suspect (anomaly guard); nothing is removed until accepted with 'backupfn ack {suspect}'", frozen.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("remove ", frozen.Out, StringComparison.Ordinal);
        Assert.Equal([suspect, second], Ids(await cli.RunAsync("list", "--json"))); // the run's own prune removed nothing either

        var ack = await cli.RunAsync("ack", suspect, "--by", "alice");
        Assert.True(ack.Exit == 0, ack.Err);
        Assert.Matches($"{suspect}: accepted by alice at [0-9-]+ [0-9:]+Z; pruning of target 'orders' resumes", ack.Out);
        using (var record = JsonDocument.Parse(await AckRecordAsync(cli, suspect)))
        {
            Assert.Equal("alice", record.RootElement.GetProperty("by").GetString());
            Assert.Equal("Accepted", record.RootElement.GetProperty("outcome").GetString());
            var at = record.RootElement.GetProperty("completedAt").GetDateTimeOffset();
            Assert.InRange(DateTimeOffset.UtcNow - at, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        }

        var ok = await cli.RunAsync("status");
        Assert.Equal(0, ok.Exit);
        Assert.Matches("orders +ok ", ok.Out);

        var released = await cli.RunAsync("prune", "--target", "orders");
        Assert.Equal(0, released.Exit);
        Assert.DoesNotContain("frozen", released.Out, StringComparison.Ordinal);
        Assert.Contains($"remove       {second}", released.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(first, released.Out, StringComparison.Ordinal);
        using var left = JsonDocument.Parse((await cli.RunAsync("list", "--json")).Out);
        var only = Assert.Single(left.RootElement.EnumerateArray());
        Assert.Equal(suspect, only.GetProperty("manifest").GetProperty("id").GetString());
        Assert.Equal("Suspect", only.GetProperty("anomaly").GetString());
        Assert.True(only.GetProperty("acknowledged").GetBoolean());
        Assert.False(only.GetProperty("suspect").GetBoolean());
    }

    [Fact]
    public async Task Ack_BackupThatIsNotSuspect_ExitsTwoWithTheReason()
    {
        await using var db = await TestDatabase.CreateAsync("anomaly_cli_ok", Tables);
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(db.Connection) });
        string id = await BackUpAsync(cli);

        var ack = await cli.RunAsync("ack", id);

        Assert.Equal(2, ack.Exit);
        Assert.Contains($"backupfn ack: backup {id} is not suspect (anomaly check: NoBaseline)", ack.Err, StringComparison.Ordinal);
    }

    private static List<string> Ids((int Exit, string Out, string Err) list)
    {
        Assert.True(list.Exit == 0, list.Err);
        using var doc = JsonDocument.Parse(list.Out);
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("manifest").GetProperty("id").GetString()!).ToList();
    }

    private static async Task<string> AckRecordAsync(CliRunner cli, string backupId)
    {
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, cli.Container);
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "orders/", CancellationToken.None))
        {
            if (blob.Name.Contains(backupId, StringComparison.Ordinal) && blob.Name.EndsWith("-ack.json", StringComparison.Ordinal))
            {
                return (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
            }
        }

        throw new Xunit.Sdk.XunitException($"no ack record of {backupId}");
    }
}
