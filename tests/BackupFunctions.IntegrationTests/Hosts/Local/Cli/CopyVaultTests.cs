using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>
/// Backup:Copies end to end against real PostgreSQL and Azurite (the copy is a second container in the dev account): the
/// orchestration's CopyBackup step, list/verify --vault, restore --from, the fallback to a copy when the primary's data is
/// gone or corrupt, create-only copies, and prune per vault.
/// </summary>
public class CopyVaultTests
{
    private const string Table = "CREATE TABLE orders(id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 500) g;";

    private static readonly Dictionary<string, object?> Offsite = new() { ["offsite"] = null };

    [Fact]
    public async Task Backup_WithCopy_CopyHoldsTheSameBytesAndACheck_ListVerifyAndRestoreFromTheCopy()
    {
        await using var source = await TestDatabase.CreateAsync("copy", Table);
        await using var destination = TestDatabase.Named("copy_dst");
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(source.Connection),
            ["orders-copy"] = CliRunner.Postgres(destination.Connection),
        }, copies: Offsite);

        var backup = await cli.RunAsync("backup", "--target", "orders");
        Assert.True(backup.Exit == 0, backup.Err);
        Assert.Contains("copied to offsite (ServerSide, SHA-256 re-read)", backup.Out, StringComparison.Ordinal);
        var (primary, copy) = Containers(cli);
        var manifest = await SingleManifestAsync(primary);
        string reportBlob = System.Text.RegularExpressions.Regex.Match(backup.Out, @"report (runs/\S+\.json)").Groups[1].Value;
        var reported = Assert.Single(JsonDocument.Parse(await BytesAsync(primary, reportBlob)).RootElement.GetProperty("targets")[0].GetProperty("copies").EnumerateArray());
        Assert.Equal("offsite", reported.GetProperty("vault").GetString());
        Assert.Equal(manifest.Sha256Stored, reported.GetProperty("sha256").GetString());

        Assert.Equal(await BytesAsync(primary, manifest.Blobs.Data), await BytesAsync(copy, manifest.Blobs.Data));
        string manifestBlob = BlobLayout.Manifest(Id(manifest.Id));
        Assert.Equal(await BytesAsync(primary, manifestBlob), await BytesAsync(copy, manifestBlob));

        // The copy check, in both vaults, carries the SHA-256 re-read from the copy.
        foreach (var container in new[] { primary, copy })
        {
            var check = await SingleCheckAsync(container, manifest.Id, "copy");
            Assert.Equal("offsite", check.Metadata["vault"]);
            Assert.Equal(manifest.Sha256Stored, check.Metadata["sha256"]);
            var record = JsonDocument.Parse(await BytesAsync(container, check.Name)).RootElement;
            Assert.Equal("Ok", record.GetProperty("outcome").GetString());
            Assert.Contains($"stored SHA-256 {manifest.Sha256Stored} and size match", record.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var list = await cli.RunAsync("list", "--vault", "offsite", "--json");
        Assert.True(list.Exit == 0, list.Err);
        Assert.Equal(manifest.Id, JsonDocument.Parse(list.Out).RootElement[0].GetProperty("manifest").GetProperty("id").GetString());

        var verify = await cli.RunAsync("verify", manifest.Id, "--vault", "offsite");
        Assert.True(verify.Exit == 0, verify.Err);
        Assert.Contains($"{manifest.Id}: Ok", verify.Out, StringComparison.Ordinal);
        Assert.NotNull(await SingleCheckAsync(copy, manifest.Id, "verify", newest: true)); // recorded in the copy

        var restore = await cli.RunAsync("restore", manifest.Id, "--to", "orders-copy", "--from", "offsite");
        Assert.True(restore.Exit == 0, restore.Err);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM orders"));
        Assert.Equal("offsite", (await SingleCheckAsync(copy, manifest.Id, "restore")).Metadata["source"]);
    }

    /// <summary>The copy in another storage endpoint (an Azurite of its own, standing for another account: its store cannot read the primary), so it is streamed.</summary>
    [Fact]
    public async Task Backup_CopyOnAnotherStorageEndpoint_IsCopiedAndRestorableAfterThePrimaryBlobIsDeleted()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var source = await TestDatabase.CreateAsync("copy_far", Table);
        await using var destination = TestDatabase.Named("copy_far_dst");
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(source.Connection),
            ["orders-copy"] = CliRunner.Postgres(destination.Connection),
        }, copies: Offsite, copyStorage: azurite.Storage);

        var backup = await cli.RunAsync("backup", "--target", "orders");
        Assert.True(backup.Exit == 0, backup.Err);
        // The source can sign a SAS, but the other Azurite cannot reach it: the refused server-side copy becomes a streamed one.
        Assert.Contains("copied to offsite (Streamed, SHA-256 re-read)", backup.Out, StringComparison.Ordinal);
        var (primary, copy) = Containers(cli);
        var manifest = await SingleManifestAsync(primary);
        Assert.Equal(await BytesAsync(primary, manifest.Blobs.Data), await BytesAsync(copy, manifest.Blobs.Data));

        await primary.GetBlobClient(manifest.Blobs.Data).DeleteAsync();
        var restore = await cli.RunAsync("restore", manifest.Id, "--to", "orders-copy");
        Assert.True(restore.Exit == 0, restore.Err);
        Assert.Contains("from copy 'offsite' instead", restore.Err, StringComparison.Ordinal);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task UnknownVaultName_ExitsTwoWithOneLineListingTheCopies()
    {
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(TestServers.Pg("postgres")) }, copies: Offsite);
        foreach (string[] args in new[] { new[] { "list", "--vault", "elsewhere" }, ["verify", "orders-20260101T000000Z-abcd", "--vault", "elsewhere"],
                     ["restore", "orders-20260101T000000Z-abcd", "--to", "orders", "--from", "elsewhere"] })
        {
            var run = await cli.RunAsync(args);
            Assert.Equal(2, run.Exit);
            string line = Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("vault 'elsewhere' is not configured (configured copies: offsite", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PrimaryDataDeleted_RestoreAndRestoreTestUseTheCopy_WithAWarning()
    {
        await using var source = await TestDatabase.CreateAsync("copy_gone", Table);
        await using var destination = TestDatabase.Named("copy_gone_dst");
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(source.Connection),
            ["orders-copy"] = CliRunner.Postgres(destination.Connection),
        }, copies: Offsite);
        Assert.Equal(0, (await cli.RunAsync("backup", "--target", "orders")).Exit);
        var (primary, _) = Containers(cli);
        var manifest = await SingleManifestAsync(primary);
        await primary.GetBlobClient(manifest.Blobs.Data).DeleteAsync();

        var restore = await cli.RunAsync("restore", manifest.Id, "--to", "orders-copy");
        Assert.True(restore.Exit == 0, restore.Err);
        Assert.Contains($"backupfn restore: warning: the primary vault's data blob '{manifest.Blobs.Data}' is missing; read {manifest.Id} from copy 'offsite' instead, whose stored SHA-256 verified",
            restore.Err, StringComparison.Ordinal);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM orders"));
        var record = await SingleCheckAsync(primary, manifest.Id, "restore");
        Assert.Equal("offsite", record.Metadata["source"]);
        Assert.Contains("warning:", JsonDocument.Parse(await BytesAsync(primary, record.Name)).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var test = await cli.RunAsync("restore-test", manifest.Id);
        Assert.True(test.Exit == 0, test.Err);
        Assert.Contains("backupfn restore-test: warning: the primary vault's data blob", test.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrimaryDataCorrupt_RestoreAndRestoreTestUseTheCopyThatVerifies()
    {
        await using var source = await TestDatabase.CreateAsync("copy_bad", Table);
        await using var destination = TestDatabase.Named("copy_bad_dst");
        await using var cli = new CliRunner(new()
        {
            ["orders"] = CliRunner.Postgres(source.Connection),
            ["orders-copy"] = CliRunner.Postgres(destination.Connection),
        }, copies: Offsite);
        Assert.Equal(0, (await cli.RunAsync("backup", "--target", "orders")).Exit);
        var (primary, _) = Containers(cli);
        var manifest = await SingleManifestAsync(primary);
        await FlipByteAsync(primary, manifest.Blobs.Data);

        var test = await cli.RunAsync("restore-test", manifest.Id, "--json");
        Assert.True(test.Exit == 0, test.Err);
        Assert.Contains("data blob failed verification (ChecksumMismatch", test.Err, StringComparison.Ordinal);
        Assert.Equal("offsite", (await SingleCheckAsync(primary, manifest.Id, "restore-test", newest: true)).Metadata["source"]);

        var restore = await cli.RunAsync("restore", manifest.Id, "--to", "orders-copy");
        Assert.True(restore.Exit == 0, restore.Err);
        Assert.Contains($"read {manifest.Id} from copy 'offsite' instead", restore.Err, StringComparison.Ordinal);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task CopyBackup_Rerun_IsIdempotent_AndADifferentBlobInTheCopyIsNeverOverwritten()
    {
        await using var source = await TestDatabase.CreateAsync("copy_rerun", Table);
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(source.Connection) }, copies: Offsite);
        Assert.Equal(0, (await cli.RunAsync("backup")).Exit);
        var (primary, copy) = Containers(cli);
        var manifest = await SingleManifestAsync(primary);
        var runtime = BackupRuntime.Create(BackupConfiguration.Load(cli.ConfigFile), TimeProvider.System, NullLoggerFactory.Instance);

        var again = await runtime.CopyBackupActivity().RunAsync(manifest.Id, CancellationToken.None);
        var result = Assert.Single(again.Copies);
        Assert.Equal(BlobCopyMethod.AlreadyPresent, result.Method);
        Assert.Equal(manifest.Sha256Stored, result.Sha256);

        byte[] tampered = await FlipByteAsync(copy, manifest.Blobs.Data);
        var refused = await Assert.ThrowsAsync<EngineException>(() => runtime.CopyBackupActivity().RunAsync(manifest.Id, CancellationToken.None));
        Assert.Equal(FailureKind.Corrupt, refused.Kind);
        Assert.Contains("copy 'offsite' already holds a different", refused.Message, StringComparison.Ordinal);
        Assert.Equal(tampered, await BytesAsync(copy, manifest.Blobs.Data)); // left as it was: nothing is overwritten
    }

    [Fact]
    public async Task Prune_CopyWithLongerRetention_KeepsMoreThere()
    {
        await using var source = await TestDatabase.CreateAsync("copy_prune", Table);
        var keepOne = new { KeepLast = 1, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0 };
        var keepThree = new { KeepLast = 3, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0 };
        await using var cli = new CliRunner(new() { ["orders"] = new { Engine = "postgres", source.Connection, Retention = keepOne } },
            copies: new Dictionary<string, object?> { ["offsite"] = keepThree }, minRetentionDays: 0);
        for (int i = 0; i < 3; i++)
        {
            var run = await cli.RunAsync("backup");
            Assert.True(run.Exit == 0, run.Err);
        }

        var (primary, copy) = Containers(cli);
        Assert.Single(await ManifestsAsync(primary));
        Assert.Equal(3, (await ManifestsAsync(copy)).Count);

        var list = await cli.RunAsync("list", "--vault", "offsite", "--json");
        Assert.Equal(3, JsonDocument.Parse(list.Out).RootElement.GetArrayLength());
        var plan = await cli.RunAsync("prune", "--vault", "offsite", "--dry-run");
        Assert.True(plan.Exit == 0, plan.Err);
        Assert.Contains("policy last 3", plan.Out, StringComparison.Ordinal);
        var both = await cli.RunAsync("prune", "--dry-run");
        Assert.Contains("policy last 1", both.Out, StringComparison.Ordinal);
        Assert.Contains("copy 'offsite': 0 would be removed, 3 kept", both.Out, StringComparison.Ordinal);
    }

    private static BackupId Id(string text) => BackupId.TryParse(text, out var id) ? id : throw new ArgumentException($"not a backup id: {text}");

    private static (BlobContainerClient Primary, BlobContainerClient Copy) Containers(CliRunner cli) =>
        (new BlobContainerClient(TestServers.Storage, cli.Container), new BlobContainerClient(cli.CopyStorage, cli.CopyContainers["offsite"]));

    private static async Task<byte[]> BytesAsync(BlobContainerClient container, string blob) =>
        (await container.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToArray();

    private static async Task<List<BackupManifest>> ManifestsAsync(BlobContainerClient container)
    {
        var manifests = new List<BackupManifest>();
        await foreach (var item in container.GetBlobsAsync())
        {
            if (item.Name.EndsWith("/" + BlobLayout.ManifestFileName, StringComparison.Ordinal) && !item.Name.StartsWith(BlobLayout.RunsPrefix, StringComparison.Ordinal))
            {
                manifests.Add(BackupManifest.Parse(new BinaryData(await BytesAsync(container, item.Name)), item.Name));
            }
        }

        return manifests;
    }

    private static async Task<BackupManifest> SingleManifestAsync(BlobContainerClient container) => Assert.Single(await ManifestsAsync(container));

    private static async Task<BlobItem> SingleCheckAsync(BlobContainerClient container, string backupId, string kind, bool newest = false)
    {
        var checks = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, BlobLayout.BackupPrefix(Id(backupId)) + "checks/", CancellationToken.None))
        {
            if (item.Metadata.TryGetValue("kind", out string? k) && k == kind)
            {
                checks.Add(item);
            }
        }

        return newest ? checks.OrderBy(c => c.Name, StringComparer.Ordinal).Last() : Assert.Single(checks);
    }

    /// <summary>Flips one byte in the middle of a blob (Azurite applies no immutability); returns the new bytes.</summary>
    private static async Task<byte[]> FlipByteAsync(BlobContainerClient container, string blob)
    {
        var client = container.GetBlobClient(blob);
        var properties = await client.GetPropertiesAsync();
        byte[] bytes = await BytesAsync(container, blob);
        bytes[bytes.Length / 2] ^= 0xFF;
        await client.UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Metadata = properties.Value.Metadata });
        return bytes;
    }
}
