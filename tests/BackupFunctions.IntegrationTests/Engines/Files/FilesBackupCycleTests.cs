using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Files;

/// <summary>A files target through the same activities as every target (real Azurite): backup, verify, restore test, restore.</summary>
public class FilesBackupCycleTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Backup_Verify_RestoreTest_Restore_RestoresTheTreeExactly()
    {
        using var sample = FileTreeSample.Create();
        string copy = sample.NewPath("copy");
        string scratch = sample.NewPath("restore tests");
        Directory.CreateDirectory(copy);
        Directory.CreateDirectory(scratch);
        var target = new TargetOptions { Engine = "files", Connection = sample.Source, RestoreTest = new RestoreTestOptions { Connection = scratch } };
        await using var vault = await TestVault.CreateAsync(new() { ["cfg"] = target, ["cfg-copy"] = new TargetOptions { Engine = "files", Connection = copy } });

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cfg"), null, None);
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "cfg-copy", Replace: false), null, None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal("files", manifest.Engine);
        Assert.Equal("tar-pax+sha256sums", manifest.Format);
        Assert.EndsWith(".tar.zst", manifest.Blobs.Data, StringComparison.Ordinal);
        Assert.Equal(sample.Source, manifest.Source);
        Assert.Equal(new Dictionary<string, long> { ["files"] = 6, ["bytes"] = 300_000 + 69, ["directories"] = 8, ["symlinks"] = 4 }, manifest.SourceStats.Counts);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.Contains("6 files (300069 bytes) match their SHA-256 list", verify.Detail, StringComparison.Ordinal);
        Assert.True(test.Passed, test.Detail);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch)); // the scratch directory was removed
        Assert.True(restore.CountsMatch, restore.Detail);
        Assert.Equal(FileTreeSample.Describe(sample.Source), FileTreeSample.Describe(copy));
        Assert.Equal(["secret.txt"], Directory.EnumerateFileSystemEntries(sample.Outside).Select(Path.GetFileName));
        Assert.Equal(["copy", "outside", "restore tests", "source tree ✓"], Directory.EnumerateFileSystemEntries(sample.Scratch).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Verify_FlippedStoredByte_IsAChecksumMismatch()
    {
        using var sample = FileTreeSample.Create();
        await using var vault = await TestVault.CreateAsync(new() { ["cfg"] = new TargetOptions { Engine = "files", Connection = sample.Source, Compression = "none" } });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cfg"), null, None);
        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        var blob = vault.Container.GetBlobClient(manifest.Blobs.Data);
        byte[] data = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        data[data.Length / 2] ^= 0x01;
        await blob.UploadAsync(new BinaryData(data), overwrite: true);

        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);

        Assert.Equal(VerificationStatus.ChecksumMismatch, verify.Status);
    }
}
