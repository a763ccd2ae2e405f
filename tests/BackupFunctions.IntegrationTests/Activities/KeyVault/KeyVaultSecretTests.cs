using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Encryption;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Activities.KeyVault;

/// <summary>ConnectionSecret resolved through SecretClient against the FAKE Key Vault, then used for a real backup.</summary>
public class KeyVaultSecretTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static async Task<(BackupRuntime Runtime, ManualTime Time, TestVault Vault)> RuntimeAsync(FakeKeyVault kv, string secretName, string restoreSecret)
    {
        var target = new TargetOptions { Engine = "postgres", ConnectionSecret = secretName, RestoreTest = new RestoreTestOptions { ConnectionSecret = restoreSecret } };
        var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres("Host=unused") });
        vault.Options.Targets["orders"] = target;
        vault.Options.KeyVaultUri = kv.Uri.ToString();
        Assert.Empty(BackupConfiguration.Validate(vault.Options));
        var time = new ManualTime();
        var secrets = new SecretResolver(kv.Uri, new FakeTokenCredential(), kv.ClientOptions(), time, TimeSpan.FromMinutes(5));
        return (BackupRuntime.Create(vault.Options, time, NullLoggerFactory.Instance, secrets), time, vault);
    }

    [Fact]
    public async Task ConnectionSecret_IsReadFromKeyVault_AndUsedForBackupAndRestoreTest()
    {
        await using var db = await TestDatabase.CreateAsync("kv", "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 10);");
        await using var kv = await FakeKeyVault.StartAsync();
        kv.Secrets["orders-conn"] = db.Connection;
        kv.Secrets["scratch-conn"] = TestServers.Pg("postgres");
        var (runtime, _, vault) = await RuntimeAsync(kv, "orders-conn", "scratch-conn");
        await using (vault)
        {
            var backup = await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None);
            var test = await runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, CancellationToken.None);

            Assert.True(test.Passed, test.Detail);
            Assert.True(BackupId.TryParse(backup.BackupId, out var id));
            var manifest = await runtime.Vault.ReadManifestAsync(id, CancellationToken.None);
            Assert.Equal(10, manifest!.SourceStats.Counts["public.t"]);
            Assert.Equal($"127.0.0.1:{TestServers.PgPort}/{db.Name}", manifest.Source);
            Assert.True(kv.SecretReads >= 2); // the target's secret and the restore-test server's
        }
    }

    [Fact]
    public async Task MissingSecret_IsAConfigurationErrorNamingTheSecretAndKey()
    {
        await using var kv = await FakeKeyVault.StartAsync();
        var (runtime, _, vault) = await RuntimeAsync(kv, "no-such-secret", "x");
        await using (vault)
        {
            var error = await Assert.ThrowsAsync<BackupConfigurationException>(() => runtime.ResolveAsync("orders", CancellationToken.None));

            Assert.Contains("Backup:Targets:orders:ConnectionSecret: secret 'no-such-secret' not found in Key Vault 127.0.0.1", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ForbiddenSecret_SaysWhichRoleToGrant_AndNeverShowsAValue()
    {
        await using var kv = await FakeKeyVault.StartAsync();
        kv.Secrets["orders-conn"] = "Host=h;Password=should-never-appear";
        kv.Forbidden["orders-conn"] = true;
        var (runtime, _, vault) = await RuntimeAsync(kv, "orders-conn", "x");
        await using (vault)
        {
            var error = await Assert.ThrowsAsync<EngineException>(() => runtime.ResolveAsync("orders", CancellationToken.None));

            Assert.Equal(FailureKind.Authentication, error.Kind);
            Assert.Contains("access to secret 'orders-conn'", error.Message, StringComparison.Ordinal);
            Assert.Contains("Key Vault Secrets User", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("should-never-appear", error.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RotatedSecret_IsPickedUpOnceTheCacheTtlHasPassed()
    {
        await using var kv = await FakeKeyVault.StartAsync();
        kv.Secrets["orders-conn"] = "Host=old-host;Database=a";
        kv.Secrets["scratch"] = "Host=s;Database=postgres";
        var (runtime, time, vault) = await RuntimeAsync(kv, "orders-conn", "scratch");
        await using (vault)
        {
            var first = await runtime.ResolveAsync("orders", CancellationToken.None);
            kv.Secrets["orders-conn"] = "Host=new-host;Database=a";
            var cached = await runtime.ResolveAsync("orders", CancellationToken.None);
            time.Now += TimeSpan.FromMinutes(6);
            var rotated = await runtime.ResolveAsync("orders", CancellationToken.None);

            Assert.Equal("old-host:5432/a", first.Description);
            Assert.Equal("old-host:5432/a", cached.Description);
            Assert.Equal("new-host:5432/a", rotated.Description);
        }
    }

    [Fact]
    public async Task EncryptionKey_HeldInKeyVault_EncryptsAndRestoreTests()
    {
        await using var db = await TestDatabase.CreateAsync("kv_enc", "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 25);");
        await using var kv = await FakeKeyVault.StartAsync();
        kv.Secrets["orders-conn"] = db.Connection;
        kv.Secrets["scratch-conn"] = TestServers.Pg("postgres");
        kv.Secrets["backup-key-1"] = FramedAesGcm.NewKey();
        var (runtime, _, vault) = await RuntimeAsync(kv, "orders-conn", "scratch-conn");
        await using (vault)
        {
            vault.Options.EncryptionKeys["k1"] = new EncryptionKeyOptions { KeySecret = "backup-key-1" };
            vault.Options.Targets["orders"].Encryption = new TargetEncryptionOptions { KeyId = "k1" };
            Assert.Empty(BackupConfiguration.Validate(vault.Options));

            var backup = await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None);
            var test = await runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, CancellationToken.None);

            Assert.True(test.Passed, test.Detail);
            Assert.True(BackupId.TryParse(backup.BackupId, out var id));
            Assert.Equal("k1", (await runtime.Vault.ReadManifestAsync(id, CancellationToken.None))!.Encryption!.KeyId);
        }
    }
}
