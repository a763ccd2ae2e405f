using BackupFunctions.Activities.Backups;
using BackupFunctions.Engines;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Postgres;

/// <summary>Restores never overwrite without --replace, never swap in a corrupt backup, and restore tests clean up.</summary>
[Collection(ServerWideState.Name)]
public class RestoreSafetyTests
{
    private const string Source = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;";
    private const string Existing = "CREATE TABLE precious(x text); INSERT INTO precious VALUES ('keep me');";

    private static Task<long> ScratchDatabasesAsync() =>
        TestServers.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'backupfn\\_%'");

    private static async Task<string> BackupAsync(TestVault vault, string target) =>
        (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput(target), null, CancellationToken.None)).BackupId;

    [Fact]
    public async Task Restore_NonEmptyDestinationWithoutReplace_IsRefusedAndUntouched()
    {
        await using var source = await TestDatabase.CreateAsync("src", Source);
        await using var destination = await TestDatabase.CreateAsync("dst", Existing);
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection), ["dst"] = TestVault.Postgres(destination.Connection) });
        string id = await BackupAsync(vault, "src");

        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreDatabaseActivity()
            .RunAsync(new RestoreDatabaseInput(id, "dst", Replace: false), null, CancellationToken.None));

        Assert.Equal(FailureKind.Refused, error.Kind);
        Assert.Contains("--replace", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await TestServers.ScalarAsync<string>(destination.Name, "SELECT x FROM precious"));
    }

    [Fact]
    public async Task Restore_WithReplace_ReplacesTheDestination()
    {
        await using var source = await TestDatabase.CreateAsync("src", Source);
        await using var destination = await TestDatabase.CreateAsync("dst", Existing);
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection), ["dst"] = TestVault.Postgres(destination.Connection) });
        string id = await BackupAsync(vault, "src");

        var output = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, "dst", Replace: true), null, CancellationToken.None);

        Assert.True(output.CountsMatch, output.Detail);
        Assert.Equal(2000, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));
        Assert.Equal(0, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM pg_class WHERE relname = 'precious'"));
    }

    [Fact]
    public async Task Restore_CorruptBackupWithReplace_LeavesTheDestinationAsItWas()
    {
        await using var source = await TestDatabase.CreateAsync("src", Source);
        await using var destination = await TestDatabase.CreateAsync("dst", Existing);
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection, "none"), ["dst"] = TestVault.Postgres(destination.Connection) });
        string id = await BackupAsync(vault, "src");
        Assert.True(BackupId.TryParse(id, out var parsed));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(parsed, CancellationToken.None))!;
        var blob = vault.Container.GetBlobClient(manifest.Blobs.Data);
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        // Flip a byte inside row data near the end, where pg_restore itself would not notice.
        int at = Array.LastIndexOf(bytes, (byte)'a');
        bytes[at] = (byte)'b';
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
        long scratchBefore = await ScratchDatabasesAsync();

        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreDatabaseActivity()
            .RunAsync(new RestoreDatabaseInput(id, "dst", Replace: true), null, CancellationToken.None));

        Assert.Contains("ChecksumMismatch", error.Message, StringComparison.Ordinal);
        Assert.Contains("left unchanged", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await TestServers.ScalarAsync<string>(destination.Name, "SELECT x FROM precious"));
        Assert.Equal(scratchBefore, await ScratchDatabasesAsync());
    }

    [Fact]
    public async Task Restore_MissingDestinationDatabase_IsCreated()
    {
        await using var source = await TestDatabase.CreateAsync("src", Source);
        await using var destination = TestDatabase.Named("new");
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection), ["new"] = TestVault.Postgres(destination.Connection) });
        string id = await BackupAsync(vault, "src");

        var output = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, "new", Replace: false), null, CancellationToken.None);

        Assert.True(output.CountsMatch, output.Detail);
        Assert.True(await destination.ExistsAsync());
    }

    [Fact]
    public async Task RestoreTest_Passes_RecordsTheCheck_AndDropsTheScratchDatabase()
    {
        await using var source = await TestDatabase.CreateAsync("src", Source);
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection) });
        string id = await BackupAsync(vault, "src");
        long scratchBefore = await ScratchDatabasesAsync();

        var output = await vault.Runtime.RestoreTestActivity().RunAsync(id, null, CancellationToken.None);

        Assert.True(output.Passed, output.Detail);
        Assert.Contains("2 counts match", output.Detail, StringComparison.Ordinal);
        Assert.Equal(scratchBefore, await ScratchDatabasesAsync());
        var check = await vault.Container.GetBlobClient(output.CheckBlob).GetPropertiesAsync();
        Assert.Equal("Passed", check.Value.Metadata["outcome"]);
    }

    [Fact]
    public async Task RestoreTest_CountsDifferFromTheManifest_FailsAndStillDropsTheScratchDatabase()
    {
        await using var source = await TestDatabase.CreateAsync("src", Source);
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection) });
        string id = await BackupAsync(vault, "src");
        Assert.True(BackupId.TryParse(id, out var parsed));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(parsed, CancellationToken.None))!;
        // A second backup id (with a copy of the data in its own folder) whose manifest claims a row count the data does not have.
        var forgedId = BackupId.New("src", parsed.CreatedAt.AddMinutes(1), new Random(1));
        string forgedData = BlobLayout.BackupPrefix(forgedId) + Path.GetFileName(manifest.Blobs.Data);
        await vault.Container.GetBlobClient(forgedData).UploadAsync((await vault.Container.GetBlobClient(manifest.Blobs.Data).DownloadContentAsync()).Value.Content);
        var counts = new Dictionary<string, long>(manifest.SourceStats.Counts) { ["public.t"] = 2001 };
        var forged = manifest with { Id = forgedId.Value, Blobs = new ManifestBlobs(forgedData, BlobLayout.Manifest(forgedId)), SourceStats = manifest.SourceStats with { Counts = counts } };
        await vault.Runtime.Vault.WriteOnceAsync(BlobLayout.Manifest(forgedId), VaultJson.Serialize(forged), null, CancellationToken.None);
        long scratchBefore = await ScratchDatabasesAsync();

        var output = await vault.Runtime.RestoreTestActivity().RunAsync(forgedId.Value, null, CancellationToken.None);

        Assert.False(output.Passed);
        Assert.Contains("public.t: 2000 (expected 2001)", output.Detail, StringComparison.Ordinal);
        Assert.Equal(scratchBefore, await ScratchDatabasesAsync());
    }
}
