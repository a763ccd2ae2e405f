using BackupFunctions.Activities.Backups;
using BackupFunctions.Engines;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>A restore never overwrites without replace, replaces by one rename, never swaps in a corrupt copy; verify catches corruption.</summary>
public class SqliteRestoreSafetyTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<(SqliteTestFolder Folder, TestVault Vault, string BackupId)> BackedUpAsync(string compression = "brotli")
    {
        var folder = new SqliteTestFolder();
        SqliteRichDatabase.Create(folder.PathOf("app.db"), "wal", customers: 40);
        var vault = await TestVault.CreateAsync(new() { ["app"] = folder.Target("app.db", compression), ["dst"] = folder.Target("dst.db") });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("app"), null, None);
        return (folder, vault, backup.BackupId);
    }

    private static void Precious(string path, string journalMode = "wal")
    {
        using var db = SqliteTestFolder.Open(path);
        SqliteTestFolder.Execute(db, $"PRAGMA journal_mode = {journalMode}; CREATE TABLE precious(x TEXT); INSERT INTO precious VALUES ('keep me');");
    }

    [Fact]
    public async Task Restore_ExistingFileWithoutReplace_IsRefusedAndUntouched()
    {
        var (folder, vault, id) = await BackedUpAsync();
        using var _ = folder;
        await using var __ = vault;
        Precious(folder.PathOf("dst.db"));
        string before = SqliteRichDatabase.Content(folder.PathOf("dst.db"));

        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreDatabaseActivity()
            .RunAsync(new RestoreDatabaseInput(id, "dst", Replace: false), null, None));

        Assert.Equal(FailureKind.Refused, error.Kind);
        Assert.Contains("already exists; pass --replace", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SqliteRichDatabase.Content(folder.PathOf("dst.db")));
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*"));
    }

    [Theory]
    [InlineData("wal")]
    [InlineData("delete")]
    public async Task Restore_WithReplace_RenamesTheRestoredFileOverTheOldOne(string journalMode)
    {
        var (folder, vault, id) = await BackedUpAsync();
        using var _ = folder;
        await using var __ = vault;
        string dst = folder.PathOf("dst.db");
        Precious(dst, journalMode);
        // A handle on the old file: a rename leaves it reading the old bytes; an in-place overwrite would not.
        await using var old = new FileStream(dst, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        byte[] oldBytes = File.ReadAllBytes(dst);

        var output = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, "dst", Replace: true), null, None);

        Assert.True(output.CountsMatch, output.Detail);
        Assert.Equal(SqliteRichDatabase.Content(folder.PathOf("app.db")), SqliteRichDatabase.Content(dst));
        var stillOld = new byte[oldBytes.Length];
        await old.ReadExactlyAsync(stillOld);
        Assert.Equal(oldBytes, stillOld);
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*"));
    }

    [Fact]
    public async Task Restore_WithReplace_WhileAnotherConnectionHasTheFileOpen_IsRefusedAndUntouched()
    {
        var (folder, vault, id) = await BackedUpAsync();
        using var _ = folder;
        await using var __ = vault;
        string dst = folder.PathOf("dst.db");
        Precious(dst);
        using var app = SqliteTestFolder.Open(dst); // an application still using the database
        SqliteTestFolder.Execute(app, "INSERT INTO precious VALUES ('still writing')");

        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreDatabaseActivity()
            .RunAsync(new RestoreDatabaseInput(id, "dst", Replace: true), null, None));

        Assert.Equal(FailureKind.Refused, error.Kind);
        Assert.Contains("in use by another connection", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, SqliteTestFolder.Scalar<long>(dst, "SELECT count(*) FROM precious"));
        Assert.DoesNotContain("customers", SqliteRichDatabase.Content(dst), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*"));
    }

    [Fact]
    public async Task FlippedStoredByte_FailsVerify_AndRestoreWithReplaceLeavesTheDestinationAsItWas()
    {
        var (folder, vault, id) = await BackedUpAsync(compression: "none");
        using var _ = folder;
        await using var __ = vault;
        Assert.True(BackupId.TryParse(id, out var parsed));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(parsed, None))!;
        var blob = vault.Container.GetBlobClient(manifest.Blobs.Data);
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 0x40; // inside the 20 MB BLOB: SQLite itself would not notice
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
        Precious(folder.PathOf("dst.db"));
        string before = SqliteRichDatabase.Content(folder.PathOf("dst.db"));

        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, None);
        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreDatabaseActivity()
            .RunAsync(new RestoreDatabaseInput(id, "dst", Replace: true), null, None));

        Assert.Equal(VerificationStatus.ChecksumMismatch, verify.Status);
        Assert.Equal(FailureKind.Corrupt, error.Kind);
        Assert.Contains("left unchanged", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SqliteRichDatabase.Content(folder.PathOf("dst.db")));
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*"));
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task CorruptSource_CopiedPageForPage_FailsVerifyByIntegrityCheck_AndTheRestoreTest()
    {
        using var folder = new SqliteTestFolder();
        string source = folder.PathOf("app.db");
        SqliteRichDatabase.Create(source, "delete", customers: 2000);
        SqliteCorruption.BreakIndex(source, "customers_name");
        await using var vault = await TestVault.CreateAsync(new() { ["app"] = folder.Target("app.db") });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("app"), null, None);

        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);

        // The checksums match (the stored copy is what was copied): the structural check is what finds it.
        Assert.Equal(VerificationStatus.StructureInvalid, verify.Status);
        Assert.Contains("PRAGMA integrity_check", verify.Detail, StringComparison.Ordinal);
        Assert.False(test.Passed);
        Assert.Contains("integrity_check", test.Detail, StringComparison.Ordinal);
        Assert.Empty(folder.TempLeftovers());
    }
}
