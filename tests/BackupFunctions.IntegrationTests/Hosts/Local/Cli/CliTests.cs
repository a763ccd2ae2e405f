using Azure.Storage.Blobs.Models;
using System.Text.Json;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>The backupfn verbs end to end, in-process, against real PostgreSQL and Azurite: output and exit codes.</summary>
public class CliTests
{
    private const string Table = "CREATE TABLE orders(id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 500) g;";

    [Fact]
    public async Task FullCycle_BackupListVerifyRestoreTestRestore_ExitCodesAndOutput()
    {
        await using var source = await TestDatabase.CreateAsync("cli", Table);
        await using var destination = TestDatabase.Named("cli_dst");
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(source.Connection),
            ["orders-copy"] = CliRunner.Postgres(destination.Connection),
        });

        var backup = await cli.RunAsync("backup", "--target", "orders");
        Assert.True(backup.Exit == 0, backup.Err);
        Assert.Matches("orders: backed up as orders-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}", backup.Out);
        // The CLI runs the BackupAll orchestration: verified, restore-tested, run report written.
        Assert.Contains("verify Ok; restore test passed", backup.Out, StringComparison.Ordinal);
        var reportBlob = System.Text.RegularExpressions.Regex.Match(backup.Out, @"report (runs/\S+\.json)").Groups[1].Value;
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, cli.Container);
        using var report = JsonDocument.Parse((await container.GetBlobClient(reportBlob).DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("Completed", report.RootElement.GetProperty("status").GetString());
        Assert.True(report.RootElement.GetProperty("targets")[0].GetProperty("restoreTestPassed").GetBoolean());

        var list = await cli.RunAsync("list", "--json");
        Assert.Equal(0, list.Exit);
        using var listed = JsonDocument.Parse(list.Out);
        string id = listed.RootElement[0].GetProperty("manifest").GetProperty("id").GetString()!;
        Assert.Equal(500, listed.RootElement[0].GetProperty("manifest").GetProperty("sourceStats").GetProperty("counts").GetProperty("public.orders").GetInt64());

        var verify = await cli.RunAsync("verify", "--target", "orders", "--latest");
        Assert.Equal(0, verify.Exit);
        Assert.Contains($"{id}: Ok", verify.Out, StringComparison.Ordinal);

        var restoreTest = await cli.RunAsync("restore-test", id, "--json");
        Assert.Equal(0, restoreTest.Exit);
        Assert.True(JsonDocument.Parse(restoreTest.Out).RootElement.GetProperty("passed").GetBoolean());

        var restore = await cli.RunAsync("restore", id, "--to", "orders-copy");
        Assert.True(restore.Exit == 0, restore.Err);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM orders"));

        var again = await cli.RunAsync("restore", id, "--to", "orders-copy");
        Assert.Equal(2, again.Exit);
        Assert.Contains("is not empty; pass --replace", again.Err, StringComparison.Ordinal);

        var table = await cli.RunAsync("list");
        Assert.Matches($"{id}.*Ok.*Passed", table.Out);

        // The only backup is kept, with its reasons; a dry run removes nothing.
        var prune = await cli.RunAsync("prune", "--target", "orders", "--dry-run");
        Assert.Equal(0, prune.Exit);
        Assert.Matches($"keep +{id} +last 3 \\(#1\\);.*guard: newest backup that passed a restore test", prune.Out);
        Assert.Contains("dry run: nothing removed", prune.Out, StringComparison.Ordinal);
        Assert.Single(JsonDocument.Parse((await cli.RunAsync("list", "--json")).Out).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Verify_CorruptBackup_ExitsThree()
    {
        await using var source = await TestDatabase.CreateAsync("corrupt", Table);
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(source.Connection) });
        Assert.Equal(0, (await cli.RunAsync("backup")).Exit);
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, cli.Container);
        string data = "";
        await foreach (var blob in container.GetBlobsAsync())
        {
            data = blob.Name.Contains("/data.", StringComparison.Ordinal) ? blob.Name : data;
        }

        byte[] bytes = (await container.GetBlobClient(data).DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 3] ^= 1;
        await container.GetBlobClient(data).UploadAsync(new BinaryData(bytes), overwrite: true);

        var verify = await cli.RunAsync("verify", "--target", "orders", "--latest");

        Assert.Equal(3, verify.Exit);
        Assert.Contains("ChecksumMismatch", verify.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "verify" }, "which backup?")]
    [InlineData(new[] { "verify", "not-an-id" }, "is not a backup id")]
    [InlineData(new[] { "verify", "orders-20260101T000000Z-0000", "--latest" }, "not both")]
    [InlineData(new[] { "backup", "--target", "nope" }, "unknown target 'nope' (configured targets: orders)")]
    [InlineData(new[] { "restore", "orders-20260101T000000Z-0000" }, "--to")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    public async Task BadUsage_ExitsTwoWithOneLine(string[] args, string expected)
    {
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(TestServers.Pg("postgres")) });

        var result = await cli.RunAsync(args);

        Assert.Equal(2, result.Exit);
        Assert.Contains(expected, result.Err, StringComparison.Ordinal);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task RestoreTest_TargetWithoutBackups_ExitsTwoAndSaysHowToMakeOne()
    {
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(TestServers.Pg("postgres")) });

        var result = await cli.RunAsync("restore-test", "--target", "orders", "--latest");

        Assert.Equal(2, result.Exit);
        Assert.Contains("has no backups", result.Err, StringComparison.Ordinal);
        Assert.Contains("backupfn backup --target orders", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_ShowsEveryTarget_Exits0WhenAllAreOk_And3WhenOneIsMissingLateOrFailing()
    {
        await using var source = await TestDatabase.CreateAsync("cli_status", Table);
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(source.Connection),
            ["never"] = CliRunner.Postgres(source.Connection),
        });
        // The same container, configured with the backed-up target alone.
        await using var ordersOnly = new CliRunner(new() { ["orders"] = CliRunner.Postgres(source.Connection) }, container: cli.Container);
        Assert.Equal(0, (await cli.RunAsync("backup", "--target", "orders")).Exit);

        var healthy = await ordersOnly.RunAsync("status");
        var neverBackedUp = await cli.RunAsync("status");
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, cli.Container);
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "orders/", CancellationToken.None))
        {
            if (item.Name.Contains("/data.", StringComparison.Ordinal))
            {
                var blob = container.GetBlobClient(item.Name);
                byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
                bytes[bytes.Length / 2] ^= 1; // as bit rot or an attacker would
                await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
            }
        }

        Assert.Equal(3, (await cli.RunAsync("verify", "--target", "orders", "--latest")).Exit);
        var failing = await cli.RunAsync("status");
        var json = await cli.RunAsync("status", "--json");

        Assert.True(healthy.Exit == 0, healthy.Out + healthy.Err);
        Assert.Matches(@"orders\s+ok\s+orders-\d{8}T\d{6}Z-[0-9a-f]{4}", healthy.Out);
        Assert.Equal(3, neverBackedUp.Exit); // a target with no backup is not ok
        Assert.Matches(@"orders\s+ok\s+orders-", neverBackedUp.Out);
        Assert.Matches(@"never\s+missing\s+-.*never backed up", neverBackedUp.Out);
        Assert.Equal(3, failing.Exit);
        Assert.Matches(@"orders\s+failing\s+.*failed verification \(ChecksumMismatch\)", failing.Out);
        Assert.Equal(3, json.Exit);
        Assert.Equal("failing", JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Single(t => t.GetProperty("target").GetString() == "orders").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Status_ATargetWhoseOnlyRunFailed_IsFailingWithTheRunsReason_NotMissing()
    {
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(TestServers.Pg("backupfn_no_such_db")) });

        var backup = await cli.RunAsync("backup", "--target", "orders");
        var status = await cli.RunAsync("status");
        var json = await cli.RunAsync("status", "--json");

        Assert.NotEqual(0, backup.Exit);
        Assert.Equal(3, status.Exit);
        Assert.Matches(@"orders\s+failing\s+-.*last run failed: .*backupfn_no_such_db.*\(run run-\d{8}T\d{6}Z-[0-9a-f]{4}\)", status.Out);
        var orders = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Single();
        Assert.Equal("failing", orders.GetProperty("status").GetString());
        Assert.StartsWith("last run failed: ", orders.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
