using BackupFunctions.Activities.Health;
using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Vault;

/// <summary>Write-once storage, catalog, verification verdicts and immutability modes against Azurite.</summary>
public class VaultTests
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, repeat(md5(g::text), 20) FROM generate_series(1, 3000) g;";

    private static async Task<(TestDatabase Db, TestVault Vault, BackupManifest Manifest)> BackedUpAsync(string name)
    {
        var db = await TestDatabase.CreateAsync(name, Table);
        var vault = await TestVault.CreateAsync(new() { [name] = TestVault.Postgres(db.Connection) });
        var output = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput(name), null, CancellationToken.None);
        Assert.True(BackupId.TryParse(output.BackupId, out var id));
        return (db, vault, (await vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None))!);
    }

    /// <summary>Overwrites a blob through the storage client directly, as corruption or tampering would.</summary>
    private static async Task TamperAsync(TestVault vault, string blobName, Func<byte[], byte[]> change)
    {
        var blob = vault.Container.GetBlobClient(blobName);
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        await blob.UploadAsync(new BinaryData(change(bytes)), overwrite: true);
    }

    [Fact]
    public async Task Verify_OneFlippedByte_IsChecksumMismatch()
    {
        var (db, vault, manifest) = await BackedUpAsync("flip");
        await using (db)
        await using (vault)
        {
            await TamperAsync(vault, manifest.Blobs.Data, b => { b[b.Length / 2] ^= 0x40; return b; });

            var result = await vault.Runtime.VerifyBackupActivity().RunAsync(manifest.Id, null, CancellationToken.None);

            Assert.Equal(VerificationStatus.ChecksumMismatch, result.Status);
            Assert.NotNull(result.CheckBlob);
            var check = await vault.Container.GetBlobClient(result.CheckBlob).GetPropertiesAsync();
            Assert.Equal("ChecksumMismatch", check.Value.Metadata["outcome"]);
        }
    }

    [Fact]
    public async Task Verify_TruncatedBlob_IsSizeMismatch()
    {
        var (db, vault, manifest) = await BackedUpAsync("trunc");
        await using (db)
        await using (vault)
        {
            await TamperAsync(vault, manifest.Blobs.Data, b => b[..^100]);

            var result = await vault.Runtime.VerifyBackupActivity().RunAsync(manifest.Id, null, CancellationToken.None);

            Assert.Equal(VerificationStatus.SizeMismatch, result.Status);
        }
    }

    [Fact]
    public async Task Verify_DataBlobGone_IsMissing_AndAnUnknownIdIsMissingToo()
    {
        var (db, vault, manifest) = await BackedUpAsync("gone");
        await using (db)
        await using (vault)
        {
            await vault.Container.GetBlobClient(manifest.Blobs.Data).DeleteAsync();

            var result = await vault.Runtime.VerifyBackupActivity().RunAsync(manifest.Id, null, CancellationToken.None);
            var unknown = await vault.Runtime.VerifyBackupActivity().RunAsync("gone-20200101T000000Z-0000", null, CancellationToken.None);

            Assert.Equal(VerificationStatus.Missing, result.Status);
            Assert.Equal(VerificationStatus.Missing, unknown.Status);
            Assert.Null(unknown.CheckBlob);
        }
    }

    [Fact]
    public async Task Verify_Intact_IsOk_AndEachRunAddsANewCheckRecord()
    {
        var (db, vault, manifest) = await BackedUpAsync("intact");
        await using (db)
        await using (vault)
        {
            var activity = vault.Runtime.VerifyBackupActivity();
            var first = await activity.RunAsync(manifest.Id, null, CancellationToken.None);
            var second = await activity.RunAsync(manifest.Id, null, CancellationToken.None);

            Assert.Equal(VerificationStatus.Ok, first.Status);
            Assert.Contains("table data entries", first.Detail, StringComparison.Ordinal);
            Assert.NotEqual(first.CheckBlob, second.CheckBlob);
            Assert.True(BackupId.TryParse(manifest.Id, out var id));
            Assert.Equal(2, (await vault.Runtime.Vault.ListChecksAsync(id, CancellationToken.None)).Count);
        }
    }

    [Fact]
    public async Task Catalog_DataWithoutManifest_IsNeverListed()
    {
        var (db, vault, manifest) = await BackedUpAsync("orphan");
        await using (db)
        await using (vault)
        {
            var orphanId = BackupId.New("orphan", DateTimeOffset.UtcNow.AddMinutes(5), new Random(3));
            await using (var pipeline = vault.Runtime.Vault.OpenDataWriter(BlobLayout.Data(orphanId, "pgdump.br"), CompressionKind.Brotli))
            {
                await pipeline.Input.WriteAsync(new byte[1000]);
                await pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
            }

            var listed = await vault.Runtime.BackupCatalog().ListAsync(null, CancellationToken.None);

            Assert.Equal([manifest.Id], listed.Select(e => e.Manifest.Id));
        }
    }

    [Fact]
    public async Task WriteOnce_SecondWriteOfTheSameName_FailsAndKeepsTheFirst()
    {
        await using var vault = await TestVault.CreateAsync(new() { ["x"] = TestVault.Postgres(TestServers.Pg("postgres")) });
        await vault.Runtime.Vault.EnsureContainerAsync(CancellationToken.None);
        await vault.Runtime.Vault.WriteOnceAsync("x/a.json", BinaryData.FromString("first"), null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<VaultException>(() =>
            vault.Runtime.Vault.WriteOnceAsync("x/a.json", BinaryData.FromString("second"), null, CancellationToken.None));

        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal("first", (await vault.Container.GetBlobClient("x/a.json").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task DataWriter_ExistingBlob_IsNotOverwritten()
    {
        await using var vault = await TestVault.CreateAsync(new() { ["x"] = TestVault.Postgres(TestServers.Pg("postgres")) });
        await vault.Runtime.Vault.EnsureContainerAsync(CancellationToken.None);
        await vault.Container.GetBlobClient("x/data.bin").UploadAsync(BinaryData.FromString("original"));

        await using var pipeline = vault.Runtime.Vault.OpenDataWriter("x/data.bin", CompressionKind.None);
        await pipeline.Input.WriteAsync(new byte[100]);
        await Assert.ThrowsAsync<VaultException>(() => pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None));

        Assert.Equal("original", (await vault.Container.GetBlobClient("x/data.bin").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Immutability_BestEffortOnAzurite_IsRecordedAsUnsupportedAndWarnedOnce()
    {
        await using var db = await TestDatabase.CreateAsync("besteffort", Table);
        var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var vault = await TestVault.CreateAsync(new() { ["be"] = TestVault.Postgres(db.Connection) }, ImmutabilityMode.BestEffort, loggers);
        var activity = vault.Runtime.BackupDatabaseActivity();

        var first = await activity.RunAsync(new BackupDatabaseInput("be"), null, CancellationToken.None);
        await activity.RunAsync(new BackupDatabaseInput("be", BackupId.New("be", DateTimeOffset.UtcNow.AddSeconds(2), new Random(9)).Value), null, CancellationToken.None);

        Assert.Equal(ImmutabilityStatus.UnsupportedByStore, first.Immutability);
        Assert.True(BackupId.TryParse(first.BackupId, out var id));
        var manifest = await vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None);
        Assert.Equal(ImmutabilityMode.BestEffort, manifest!.Immutability.Mode);
        Assert.Contains("501", manifest.Immutability.Detail, StringComparison.Ordinal);
        Assert.Single(logs.Messages, m => m.Contains("Immutability is not supported", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Immutability_RequiredOnAzurite_FailsTheBackupAndListsNothing()
    {
        await using var db = await TestDatabase.CreateAsync("required", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["req"] = TestVault.Postgres(db.Connection) }, ImmutabilityMode.Required);

        var error = await Assert.ThrowsAsync<VaultException>(() =>
            vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("req"), null, CancellationToken.None));

        Assert.Contains("Immutability.Mode is Required", error.Message, StringComparison.Ordinal);
        Assert.Contains("target 'req'", error.Message, StringComparison.Ordinal);
        Assert.Empty(await vault.Runtime.BackupCatalog().ListAsync("req", CancellationToken.None));
    }

    [Fact]
    public async Task Azurite_AnswersImmutabilityCallsWith501_SoTheModesAboveAreMeaningful()
    {
        await using var vault = await TestVault.CreateAsync(new() { ["x"] = TestVault.Postgres(TestServers.Pg("postgres")) });
        await vault.Runtime.Vault.EnsureContainerAsync(CancellationToken.None);
        var blob = vault.Container.GetBlobClient("probe");
        await blob.UploadAsync(BinaryData.FromString("p"));

        var error = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => blob.SetImmutabilityPolicyAsync(
            new BlobImmutabilityPolicy { ExpiresOn = DateTimeOffset.UtcNow.AddDays(1), PolicyMode = BlobImmutabilityPolicyMode.Unlocked }));

        Assert.Equal(501, error.Status);
    }
}

/// <summary>Collects log messages in memory so a test can assert what was logged.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return _messages.ToList();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._messages)
            {
                owner._messages.Add(formatter(state, exception));
            }
        }
    }
}
