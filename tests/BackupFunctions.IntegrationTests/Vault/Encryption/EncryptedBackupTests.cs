using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Encryption;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.IntegrationTests.Vault.Encryption;

/// <summary>Client-side encryption end to end: real PostgreSQL and Azurite, keys from key files.</summary>
public class EncryptedBackupTests
{
    private const string Marker = "plaintext-marker-7f3e";

    private static string KeyFile()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("backupfn-key").FullName, "backup.key");
        File.WriteAllText(path, FramedAesGcm.NewKey());
        return path;
    }

    [Fact]
    public async Task EncryptedBackup_HidesTheData_VerifiesRestoreTestsAndRestores_AcrossAKeyRotation()
    {
        await using var source = await TestDatabase.CreateAsync("enc", $"CREATE TABLE t(id int, note text); INSERT INTO t SELECT g, '{Marker}' FROM generate_series(1, 500) g;");
        await using var destination = TestDatabase.Named("enc_dst");
        var target = TestVault.Postgres(source.Connection, compression: "none"); // no compression: the marker would be visible if not encrypted
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) }; // check records of one backup are named by the millisecond
        await using var vault = await TestVault.CreateAsync(new() { ["enc"] = target, ["copy"] = TestVault.Postgres(destination.Connection) }, time: clock);
        vault.Options.EncryptionKeys["k1"] = new EncryptionKeyOptions { KeyFile = KeyFile() };
        vault.Options.EncryptionKeys["k2"] = new EncryptionKeyOptions { KeyFile = KeyFile() };
        target.Encryption = new TargetEncryptionOptions { KeyId = "k1" };
        Assert.Empty(BackupConfiguration.Validate(vault.Options));

        string old = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("enc"), null, CancellationToken.None)).BackupId;
        target.Encryption!.KeyId = "k2"; // rotate: new backups use k2
        clock.Advance(TimeSpan.FromSeconds(1)); // the next backup is the newest
        string fresh = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("enc"), null, CancellationToken.None)).BackupId;

        Assert.True(BackupId.TryParse(old, out var oldId));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(oldId, CancellationToken.None))!;
        Assert.Equal(new EncryptionInfo(FramedAesGcm.Algorithm, "k1"), manifest.Encryption);
        Assert.EndsWith(".pgdump.enc", manifest.Blobs.Data, StringComparison.Ordinal);
        string stored = (await vault.Container.GetBlobClient(manifest.Blobs.Data).DownloadContentAsync()).Value.Content.ToString();
        Assert.DoesNotContain(Marker, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(vault.Options.EncryptionKeys["k1"].KeyFile!).Trim(),
            VaultJson.Serialize(manifest).ToString(), StringComparison.Ordinal);

        foreach (string id in new[] { old, fresh })
        {
            Assert.Equal(VerificationStatus.Ok, (await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None)).Status);
            var test = await vault.Runtime.RestoreTestActivity().RunAsync(id, null, CancellationToken.None);
            Assert.True(test.Passed, test.Detail);
        }

        var restored = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(old, "copy", Replace: false), null, CancellationToken.None);
        Assert.True(restored.CountsMatch, restored.Detail);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, $"SELECT count(*) FROM t WHERE note = '{Marker}'"));

        // Without k1, the old backup's stored bytes still verify, and the report says the plaintext was not checked.
        vault.Options.EncryptionKeys.Remove("k1");
        var withoutKey = await vault.Runtime.VerifyBackupActivity().RunAsync(old, null, CancellationToken.None);
        Assert.Equal(VerificationStatus.Ok, withoutKey.Status);
        Assert.Contains("plaintext not checked: no encryption key with id 'k1'", withoutKey.Detail, StringComparison.Ordinal);
        var noKeyTest = await Assert.ThrowsAsync<BackupConfigurationException>(() => vault.Runtime.RestoreTestActivity().RunAsync(old, null, CancellationToken.None));
        Assert.Contains("keep old keys so old backups stay readable", noKeyTest.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptedBackup_WithAWrongKeyUnderItsId_FailsTheRestoreTestClearly()
    {
        await using var source = await TestDatabase.CreateAsync("enc_wrong", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        var target = TestVault.Postgres(source.Connection);
        await using var vault = await TestVault.CreateAsync(new() { ["enc"] = target });
        vault.Options.EncryptionKeys["k1"] = new EncryptionKeyOptions { KeyFile = KeyFile() };
        target.Encryption = new TargetEncryptionOptions { KeyId = "k1" };
        string id = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("enc"), null, CancellationToken.None)).BackupId;

        vault.Options.EncryptionKeys["k1"] = new EncryptionKeyOptions { KeyFile = KeyFile() }; // same id, other key
        var test = await BackupRuntime.Create(vault.Options, TimeProvider.System, NullLoggerFactory.Instance).RestoreTestActivity().RunAsync(id, null, CancellationToken.None);
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);

        Assert.False(test.Passed);
        Assert.Contains("wrong key for key id 'k1'", test.Detail, StringComparison.Ordinal);
        Assert.Equal(VerificationStatus.StructureInvalid, verify.Status);
    }
}
