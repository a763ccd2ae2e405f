using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.IntegrationTests.Engines.Postgres;

/// <summary>Backup → verify → restore against real PostgreSQL and Azurite; the restored database must equal the source.</summary>
public class PostgresRoundTripTests
{
    [Theory]
    [InlineData("zstd")]
    [InlineData("brotli")]
    [InlineData("gzip")]
    [InlineData("none")]
    public async Task BackupVerifyRestore_RichDatabase_RestoredEqualsSource(string compression)
    {
        await using var source = await TestDatabase.CreateAsync("rich", RichDatabase.Sql);
        await using var destination = TestDatabase.Named("rich_restored");
        await using var vault = await TestVault.CreateAsync(new Dictionary<string, TargetOptions>
        {
            ["rich"] = TestVault.Postgres(source.Connection, compression),
            ["rich-restored"] = TestVault.Postgres(destination.Connection),
        });

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("rich"), null, CancellationToken.None);
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, CancellationToken.None);
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "rich-restored", Replace: false), null, CancellationToken.None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None))!;
        Assert.Equal(compression, manifest.Compression);
        Assert.EndsWith("pgdump" + Compression.Suffix(Compression.Parse(compression)!.Value), manifest.Blobs.Data, StringComparison.Ordinal);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.True(restore.CountsMatch, restore.Detail);
        Assert.True(await destination.ExistsAsync());
        await RichDatabase.AssertEqualAsync(source.Name, destination.Name);
    }

    [Fact]
    public async Task Backup_Manifest_RecordsSnapshotCountsVersionsAndChecksums()
    {
        await using var source = await TestDatabase.CreateAsync("manifest", RichDatabase.Sql);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(source.Connection) });

        var output = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None);

        Assert.True(BackupId.TryParse(output.BackupId, out var id));
        var manifest = await vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal("postgres", manifest.Engine);
        Assert.Equal("pg_dump", manifest.Tool);
        Assert.Matches(@"^\d+\.\d+", manifest.EngineVersion);
        Assert.Equal("brotli", manifest.Compression);
        Assert.Equal("rowsPerTable", manifest.SourceStats.Kind);
        Assert.Equal(3000, manifest.SourceStats.Counts["public.Kunden_ü"]);
        Assert.Equal(0, manifest.SourceStats.Counts["public.empty_table"]);
        Assert.Equal(500, manifest.SourceStats.Counts["ventas_ñ.pedido"]);
        Assert.Equal(2000, manifest.SourceStats.Counts["public.measurements_2025"] + manifest.SourceStats.Counts["public.measurements_2026"]);
        Assert.Equal(2, manifest.SourceStats.Counts["(large objects)"]);
        Assert.Equal($"127.0.0.1:{TestServers.PgPort}/{source.Name}", manifest.Source);
        Assert.Equal(BlobLayout.Data(id, "pgdump.br"), manifest.Blobs.Data);
        Assert.True(manifest.StoredBytes < manifest.RawBytes);

        var data = await vault.Container.GetBlobClient(manifest.Blobs.Data).GetPropertiesAsync();
        Assert.Equal(manifest.StoredBytes, data.Value.ContentLength);
        Assert.Equal(manifest.Sha256Stored, data.Value.Metadata["sha256"]);
        string manifestText = (await vault.Container.GetBlobClient(manifest.Blobs.Manifest).DownloadContentAsync()).Value.Content.ToString();
        Assert.DoesNotContain(TestServers.PgPassword, manifestText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_SameBackupIdAgain_ReturnsTheExistingBackupInsteadOfASecond()
    {
        await using var source = await TestDatabase.CreateAsync("idem", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var vault = await TestVault.CreateAsync(new() { ["idem"] = TestVault.Postgres(source.Connection) });
        var activity = vault.Runtime.BackupDatabaseActivity();
        var first = await activity.RunAsync(new BackupDatabaseInput("idem"), null, CancellationToken.None);

        await TestServers.ExecuteAsync(source.Name, "INSERT INTO t VALUES (2)");
        var retry = await activity.RunAsync(new BackupDatabaseInput("idem", first.BackupId), null, CancellationToken.None);

        Assert.Equal(first.BackupId, retry.BackupId);
        Assert.Equal(first.StoredBytes, retry.StoredBytes);
        var all = await vault.Runtime.BackupCatalog().ListAsync("idem", CancellationToken.None);
        Assert.Single(all);
    }
}

/// <summary>A retried backup whose earlier attempt left data without a manifest.</summary>
public class BackupRetryTests
{
    [Fact]
    public async Task Backup_RetryFindsOrphanedDataOfItsId_BacksUpUnderAFreshIdAndListsOnlyThat()
    {
        await using var source = await TestDatabase.CreateAsync("orphan_retry", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var vault = await TestVault.CreateAsync(new() { ["retry"] = TestVault.Postgres(source.Connection) });
        var id = BackupId.New("retry", DateTimeOffset.UtcNow, new Random(5));
        await vault.Runtime.Vault.EnsureContainerAsync(CancellationToken.None);
        // What a first attempt leaves when it dies after committing data, before the manifest.
        await vault.Container.GetBlobClient(BlobLayout.Data(id, "pgdump.br")).UploadAsync(BinaryData.FromString("partial"));

        var output = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("retry", id.Value), null, CancellationToken.None);

        Assert.NotEqual(id.Value, output.BackupId);
        var listed = await vault.Runtime.BackupCatalog().ListAsync("retry", CancellationToken.None);
        Assert.Equal([output.BackupId], listed.Select(e => e.Manifest.Id));
        Assert.Equal(VerificationStatus.Ok, (await vault.Runtime.VerifyBackupActivity().RunAsync(output.BackupId, null, CancellationToken.None)).Status);
    }
}
