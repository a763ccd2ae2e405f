using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>A SQLite target through the same activities as every target: real SQLite files and Azurite.</summary>
public class SqliteBackupCycleTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData("wal")]
    [InlineData("delete")]
    public async Task Backup_Verify_RestoreTest_Restore_BringsBackEverything(string journalMode)
    {
        using var folder = new SqliteTestFolder();
        string source = folder.PathOf("app.db");
        SqliteRichDatabase.Create(source, journalMode);
        string expected = SqliteRichDatabase.Content(source);
        await using var vault = await TestVault.CreateAsync(new() { ["app"] = folder.Target("app.db"), ["app-copy"] = folder.Target("restored.db") });

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("app"), null, None);
        Assert.Empty(folder.TempLeftovers());
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);
        Assert.Empty(folder.TempLeftovers());
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);
        Assert.Empty(folder.TempLeftovers());
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "app-copy", Replace: false), null, None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal("sqlite", manifest.Engine);
        Assert.Equal("sqlite-backup-api", manifest.Tool);
        Assert.Equal(SqliteTestFolder.Scalar<string>(source, "SELECT sqlite_version()"), manifest.ToolVersion);
        Assert.Equal(source, manifest.Source);
        Assert.EndsWith(".sqlite.br", manifest.Blobs.Data, StringComparison.Ordinal);
        Assert.Equal("rowsPerTable", manifest.SourceStats.Kind);
        Assert.Equal(300, manifest.SourceStats.Counts["customers"]);
        Assert.Equal(300, manifest.SourceStats.Counts["audit"]); // written by the trigger
        Assert.Equal(2, manifest.SourceStats.Counts["files"]);
        Assert.False(manifest.SourceStats.Counts.ContainsKey("notes")); // the FTS5 table itself: its shadow tables are counted
        Assert.Equal(3, manifest.SourceStats.Counts["notes_content"]);
        Assert.True(manifest.RawBytes > SqliteRichDatabase.BlobBytes);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.Contains("PRAGMA integrity_check ok", verify.Detail, StringComparison.Ordinal);
        Assert.True(test.Passed, test.Detail);
        Assert.True(restore.CountsMatch, restore.Detail);
        Assert.Equal(expected, SqliteRichDatabase.Content(folder.PathOf("restored.db")));
        Assert.Equal(journalMode, SqliteTestFolder.Scalar<string>(folder.PathOf("restored.db"), "PRAGMA journal_mode"));
        Assert.Equal("ok", SqliteTestFolder.Scalar<string>(folder.PathOf("restored.db"), "PRAGMA integrity_check"));
        Assert.Empty(folder.TempLeftovers());
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*"));
    }
}
