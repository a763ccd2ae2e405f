using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.IntegrationTests.Activities.KeyVault;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Vault.Encryption;

/// <summary>
/// Envelope encryption end to end on real PostgreSQL and Azurite: a host with only the RSA public key backs up
/// and verifies stored bytes but cannot read a backup; the private key restores; a wrong key or an altered wrapped
/// key is refused clearly. Key Vault keys through the labelled fake Key Vault.
/// </summary>
public class EnvelopeEncryptionTests
{
    private const string Marker = "envelope-marker-51c0";
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new RSA key pair as PEM files: (public, private).</summary>
    private static (string Public, string Private) KeyPair(int bits = 3072)
    {
        using var rsa = RSA.Create(bits);
        string dir = Directory.CreateTempSubdirectory("backupfn-rsa").FullName;
        string pub = Path.Combine(dir, "backup.pub.pem"), priv = Path.Combine(dir, "backup.key.pem");
        File.WriteAllText(pub, rsa.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(priv, rsa.ExportPkcs8PrivateKeyPem());
        return (pub, priv);
    }

    private static async Task<(TestVault Vault, TestDatabase Source, TestDatabase Destination)> SetUpAsync(EncryptionKeyOptions key)
    {
        var source = await TestDatabase.CreateAsync("env", $"CREATE TABLE t(id int, note text); INSERT INTO t SELECT g, '{Marker}' FROM generate_series(1, 300) g;");
        var destination = TestDatabase.Named("env_dst");
        var target = TestVault.Postgres(source.Connection, compression: "none"); // the marker would be visible if not encrypted
        var vault = await TestVault.CreateAsync(new() { ["env"] = target, ["copy"] = TestVault.Postgres(destination.Connection) });
        vault.Options.EncryptionKeys["rsa1"] = key;
        target.Encryption = new TargetEncryptionOptions { KeyId = "rsa1" };
        Assert.Empty(BackupConfiguration.Validate(vault.Options));
        return (vault, source, destination);
    }

    private static async Task<BackupManifest> ManifestAsync(TestVault vault, string id)
    {
        Assert.True(BackupId.TryParse(id, out var parsed));
        return (await vault.Runtime.Vault.ReadManifestAsync(parsed, None))!;
    }

    [Fact]
    public async Task PublicKeyOnlyHost_BacksUpAndVerifiesStoredBytes_ButCannotRestore_ThePrivateKeyRestores()
    {
        var (pub, priv) = KeyPair();
        var (vault, source, destination) = await SetUpAsync(new EncryptionKeyOptions { PublicKeyFile = pub });
        await using var _ = vault;
        await using var __ = source;
        await using var ___ = destination;

        string first = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None)).BackupId;
        string second = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None)).BackupId;
        var manifest = await ManifestAsync(vault, first);
        var other = await ManifestAsync(vault, second);

        // The manifest holds the wrapped data key and which RSA key wrapped it; each backup has its own data key.
        var e = manifest.Encryption!;
        Assert.Equal(("rsa1", "RSA-OAEP-256"), (e.KeyId, e.KeyWrap));
        Assert.Equal(384, Convert.FromBase64String(e.WrappedKey!).Length); // RSA-3072 OAEP output
        Assert.StartsWith("sha256:", e.WrappingKey, StringComparison.Ordinal);
        Assert.NotEqual(e.WrappedKey, other.Encryption!.WrappedKey);
        string stored = (await vault.Container.GetBlobClient(manifest.Blobs.Data).DownloadContentAsync()).Value.Content.ToString();
        Assert.DoesNotContain(Marker, stored, StringComparison.Ordinal);

        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(first, null, None);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.Contains("plaintext not checked", verify.Detail, StringComparison.Ordinal);
        Assert.Contains("holds only its public key", verify.Detail, StringComparison.Ordinal);

        var refused = await Assert.ThrowsAsync<BackupConfigurationException>(() =>
            vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(first, "copy", Replace: false), null, None));
        Assert.Equal($"backup {first} is encrypted to the RSA key 'rsa1' and this host holds only its public key: add Backup:EncryptionKeys:rsa1:PrivateKeyFile where backups are restored", refused.Message);
        Assert.False(await destination.ExistsAsync());
        await Assert.ThrowsAsync<BackupConfigurationException>(() => vault.Runtime.RestoreTestActivity().RunAsync(first, null, None));

        // A restore host: the same key id with the private key as well.
        vault.Options.EncryptionKeys["rsa1"] = new EncryptionKeyOptions { PublicKeyFile = pub, PrivateKeyFile = priv };
        var full = await vault.Runtime.VerifyBackupActivity().RunAsync(first, null, None);
        Assert.Equal(VerificationStatus.Ok, full.Status);
        Assert.DoesNotContain("plaintext not checked", full.Detail, StringComparison.Ordinal);
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(second, null, None);
        Assert.True(test.Passed, test.Detail);
        var restored = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(first, "copy", Replace: false), null, None);
        Assert.True(restored.CountsMatch, restored.Detail);
        Assert.Equal(300, await TestServers.ScalarAsync<long>(destination.Name, $"SELECT count(*) FROM t WHERE note = '{Marker}'"));
    }

    [Fact]
    public async Task WrongPrivateKey_IsNamed_AndAnAlteredWrappedKey_IsCorrupt()
    {
        var (pub, priv) = KeyPair();
        var (_, otherPriv) = KeyPair();
        var (vault, source, destination) = await SetUpAsync(new EncryptionKeyOptions { PublicKeyFile = pub, PrivateKeyFile = priv });
        await using var _ = vault;
        await using var __ = source;
        await using var ___ = destination;
        string id = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None)).BackupId;
        var manifest = await ManifestAsync(vault, id);

        vault.Options.EncryptionKeys["rsa1"] = new EncryptionKeyOptions { PrivateKeyFile = otherPriv };
        var wrong = await Assert.ThrowsAsync<BackupConfigurationException>(() =>
            vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, "copy", Replace: false), null, None));
        Assert.StartsWith($"Backup:EncryptionKeys:rsa1:PrivateKeyFile is not the key backup {id} was encrypted to", wrong.Message, StringComparison.Ordinal);

        // The right key, but the manifest's wrapped key altered (one bit), as tampering would.
        vault.Options.EncryptionKeys["rsa1"] = new EncryptionKeyOptions { PrivateKeyFile = priv };
        byte[] wrapped = Convert.FromBase64String(manifest.Encryption!.WrappedKey!);
        wrapped[100] ^= 0x01;
        var json = JsonNode.Parse(VaultJson.Serialize(manifest).ToString())!.AsObject();
        json["encryption"]!["wrappedKey"] = Convert.ToBase64String(wrapped);
        await vault.Container.GetBlobClient(manifest.Blobs.Manifest).UploadAsync(BinaryData.FromString(json.ToJsonString()), overwrite: true);

        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, None);
        Assert.Equal(VerificationStatus.StructureInvalid, verify.Status);
        Assert.Contains("does not unwrap", verify.Detail, StringComparison.Ordinal);
        var corrupt = await Assert.ThrowsAsync<EngineException>(() =>
            vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, "copy", Replace: false), null, None));
        Assert.Equal(FailureKind.Corrupt, corrupt.Kind);
        Assert.False(await destination.ExistsAsync());
    }

    [Fact]
    public async Task RsaKeysUnder3072Bits_AndPublicKeysGivenAsPrivate_AreRefusedInOneLine()
    {
        var (pub2048, _) = KeyPair(2048);
        var (pub, _) = KeyPair();
        var (vault, source, destination) = await SetUpAsync(new EncryptionKeyOptions { PublicKeyFile = pub2048 });
        await using var _ = vault;
        await using var __ = source;
        await using var ___ = destination;

        var small = await Assert.ThrowsAsync<BackupConfigurationException>(() => vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None));
        Assert.Equal("Backup:EncryptionKeys:rsa1:PublicKeyFile: the RSA key has 2048 bits; use 3072 or more", small.Message);

        vault.Options.EncryptionKeys["rsa1"] = new EncryptionKeyOptions { PrivateKeyFile = pub };
        var notPrivate = await Assert.ThrowsAsync<BackupConfigurationException>(() => vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None));
        Assert.Contains("holds a public key only", notPrivate.Message, StringComparison.Ordinal);
        Assert.Empty(await VaultBlobsAsync(vault));
    }

    [Fact]
    public async Task KeyVaultKey_WrapsLocallyWithThePublicKeyFetchedOnce_AndUnwrapsThroughKeyVault()
    {
        await using var kv = await FakeKeyVault.StartAsync();
        kv.Keys["backup-kek"] = RSA.Create(3072);
        var (vault, source, destination) = await SetUpAsync(new EncryptionKeyOptions { KeyVaultKey = $"{kv.Uri}keys/backup-kek" });
        await using var _ = vault;
        await using var __ = source;
        await using var ___ = destination;
        vault.Options.KeyVaultUri = kv.Uri.ToString();
        var secrets = new SecretResolver(kv.Uri, new FakeTokenCredential(), kv.ClientOptions(), TimeProvider.System, TimeSpan.FromMinutes(5));
        var runtime = BackupRuntime.Create(vault.Options, TimeProvider.System, NullLoggerFactory.Instance, secrets);

        string first = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None)).BackupId;
        string second = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None)).BackupId;
        Assert.Equal(1, kv.KeyReads); // the public key once per process, not per backup
        Assert.Equal(0, kv.Unwraps);
        Assert.Equal($"{kv.Uri}keys/backup-kek/v1", (await ManifestAsync(vault, first)).Encryption!.WrappingKey);

        var restored = await runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(second, "copy", Replace: false), null, None);
        Assert.True(restored.CountsMatch, restored.Detail);
        Assert.Equal(1, kv.Unwraps);

        // Without the unwrapKey permission: a backup still works (wrap is local), a restore names the role.
        kv.ForbiddenKeyOperations["unwrapKey"] = true;
        await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("env"), null, None);
        var denied = await Assert.ThrowsAsync<EngineException>(() => runtime.RestoreTestActivity().RunAsync(first, null, None));
        Assert.Equal(FailureKind.Authentication, denied.Kind);
        Assert.Contains("Key Vault denied unwrapKey", denied.Message, StringComparison.Ordinal);
        Assert.Contains("Key Vault Crypto User", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_RestoreWithoutThePrivateKey_SaysSoInOneLine_Exit2()
    {
        var (pub, _) = KeyPair();
        await using var source = await TestDatabase.CreateAsync("env_cli", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var destination = TestDatabase.Named("env_cli_dst");
        await using var cli = new CliRunner(new()
        {
            ["env"] = new { Engine = "postgres", Connection = source.Connection, Encryption = new { KeyId = "rsa1" }, RestoreTest = new { Enabled = false } },
            ["copy"] = CliRunner.Postgres(destination.Connection),
        }, encryptionKeys: new { rsa1 = new { PublicKeyFile = pub } });

        var backup = await cli.RunAsync("backup", "--target", "env");
        Assert.True(backup.Exit == 0, backup.Out + backup.Err);
        Assert.Contains("restore test disabled", backup.Out, StringComparison.Ordinal);
        string id = System.Text.RegularExpressions.Regex.Match(backup.Out, "backed up as (env-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4})").Groups[1].Value;
        var verify = await cli.RunAsync("verify", id);
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);
        var restore = await cli.RunAsync("restore", id, "--to", "copy");

        // "copy" was never backed up (missing: exit 3); the encrypted target is a warning, never ok.
        var status = await cli.RunAsync("status");
        string envLine = status.Out.Split('\n').Single(l => l.StartsWith("env ", StringComparison.Ordinal));
        Assert.Matches(@"^env\s+warning\s", envLine);
        Assert.Contains("restore test disabled (RestoreTest:Enabled is false)", envLine, StringComparison.Ordinal);

        Assert.Equal(2, restore.Exit);
        string line = Assert.Single(restore.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("encrypted to the RSA key 'rsa1' and this host holds only its public key: add Backup:EncryptionKeys:rsa1:PrivateKeyFile", line, StringComparison.Ordinal);
        Assert.False(await destination.ExistsAsync());
    }

    private static async Task<List<string>> VaultBlobsAsync(TestVault vault)
    {
        var names = new List<string>();
        if (await vault.Container.ExistsAsync())
        {
            await foreach (BlobItem blob in vault.Container.GetBlobsAsync())
            {
                names.Add(blob.Name);
            }
        }

        return names;
    }
}
