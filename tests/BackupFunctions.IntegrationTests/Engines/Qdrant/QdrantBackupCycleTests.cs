using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Activities.KeyVault;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Engines.Qdrant;

/// <summary>A Qdrant target through the same activities as every target: the labelled fake Qdrant server and a real Azurite.</summary>
public class QdrantBackupCycleTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private const string Key = "fake-qdrant-key-cycle-91d0";

    [Fact]
    public async Task Backup_Verify_RestoreTest_Restore_WithTheApiKeyNowhereInTheVault()
    {
        await using var source = await FakeQdrantServer.StartAsync();
        await using var copy = await FakeQdrantServer.StartAsync();
        source.ApiKey = copy.ApiKey = Key;
        using (var rest = new QdrantRest(source.Connection, Key))
        {
            await rest.SeedAsync("", 120);
        }

        await using var vault = await TestVault.CreateAsync(new()
        {
            ["vectors"] = new TargetOptions { Engine = "qdrant", Connection = source.Connection, ApiKey = Key },
            ["vectors-copy"] = new TargetOptions { Engine = "qdrant", Connection = copy.Connection, ApiKey = Key },
        });
        Assert.Empty(BackupConfiguration.Validate(vault.Options));

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("vectors"), null, None);
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "vectors-copy", Replace: false), null, None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal("qdrant", manifest.Engine);
        Assert.Equal("1.12.4-fake", manifest.EngineVersion);
        Assert.EndsWith(".qdrant.tar.zst", manifest.Blobs.Data, StringComparison.Ordinal);
        Assert.Equal($"{source.Uri.Host}:{source.Uri.Port}", manifest.Source);
        Assert.Equal(120, manifest.SourceStats.Counts["docs"]);
        Assert.Equal(60, manifest.SourceStats.Counts["images"]);
        Assert.Equal(4, manifest.SourceStats.Counts["docs/vectors/Cosine"]);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.Contains("2 collection snapshots as the manifest lists", verify.Detail, StringComparison.Ordinal);
        Assert.True(test.Passed, test.Detail);
        Assert.Contains("counts match (180 in total)", test.Detail, StringComparison.Ordinal);
        Assert.Equal(["docs", "images"], source.Collections.Keys.Order(StringComparer.Ordinal)); // the restore test's collections were deleted
        Assert.True(restore.CountsMatch, restore.Detail);
        Assert.Equal(QdrantTestData.Content(source), QdrantTestData.Content(copy));
        Assert.Equal(0, source.SnapshotsLeft);
        Assert.Equal(0, copy.SnapshotsLeft);
        Assert.Equal(0, await BlobsHoldingAsync(vault, Key));
    }

    [Fact]
    public async Task ApiKeySecret_IsReadFromKeyVault_AndSentToQdrant()
    {
        await using var source = await FakeQdrantServer.StartAsync();
        source.ApiKey = Key;
        using (var rest = new QdrantRest(source.Connection, Key))
        {
            await rest.SeedAsync("", 10);
        }

        await using var kv = await FakeKeyVault.StartAsync();
        kv.Secrets["qdrant-key"] = Key;
        await using var vault = await TestVault.CreateAsync(new() { ["vectors"] = new TargetOptions { Engine = "qdrant", Connection = source.Connection } });
        vault.Options.Targets["vectors"] = new TargetOptions { Engine = "qdrant", Connection = source.Connection, ApiKeySecret = "qdrant-key", Collections = ["docs"] };
        vault.Options.KeyVaultUri = kv.Uri.ToString();
        Assert.Empty(BackupConfiguration.Validate(vault.Options));
        var secrets = new SecretResolver(kv.Uri, new FakeTokenCredential(), kv.ClientOptions(), TimeProvider.System, TimeSpan.FromMinutes(5));
        var runtime = BackupRuntime.Create(vault.Options, TimeProvider.System, NullLoggerFactory.Instance, secrets);

        var backup = await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("vectors"), null, None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal(["docs", "docs/vectors/Cosine"], manifest.SourceStats.Counts.Keys.Order(StringComparer.Ordinal));
        Assert.True(kv.SecretReads >= 1);
        Assert.All(source.ApiKeysSeen, k => Assert.Equal(Key, k));
        Assert.Equal(0, await BlobsHoldingAsync(vault, Key));
    }

    /// <summary>How many blobs of the vault (manifests, checks, data) hold <paramref name="text"/>.</summary>
    private static async Task<int> BlobsHoldingAsync(TestVault vault, string text)
    {
        int found = 0;
        await foreach (var blob in vault.Container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, None))
        {
            var content = (await vault.Container.GetBlobClient(blob.Name).DownloadContentAsync(None)).Value.Content.ToString();
            found += content.Contains(text, StringComparison.Ordinal) || blob.Metadata.Values.Any(v => v.Contains(text, StringComparison.Ordinal)) ? 1 : 0;
        }

        return found;
    }
}
