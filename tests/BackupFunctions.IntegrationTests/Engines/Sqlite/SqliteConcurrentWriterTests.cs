using System.Globalization;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>
/// A backup of a database another connection keeps writing to: each batch of rows is committed in one
/// transaction, so a consistent copy holds every batch wholly or not at all, and exactly the batches
/// committed before its snapshot (a prefix of them, as they are committed one after another).
/// </summary>
public class SqliteConcurrentWriterTests(ITestOutputHelper output)
{
    private const int BatchSize = 400;
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData("wal")]
    [InlineData("delete")]
    public async Task Backup_WhileAnotherConnectionCommitsBatches_HoldsEachBatchWhollyOrNotAtAll(string journalMode)
    {
        using var folder = new SqliteTestFolder();
        string source = folder.PathOf("app.db");
        SqliteRichDatabase.Create(source, journalMode, customers: 50); // the 20 MB BLOB makes the copy take many steps
        using (var db = SqliteTestFolder.Open(source))
        {
            SqliteTestFolder.Execute(db, "CREATE TABLE batches(batch INTEGER NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (batch, seq))");
        }

        await using var vault = await TestVault.CreateAsync(new() { ["app"] = folder.Target("app.db"), ["app-copy"] = folder.Target("restored.db") });
        using var stop = new CancellationTokenSource();
        var writer = new BatchWriter(source);
        var writing = Task.Factory.StartNew(() => writer.Run(stop.Token), None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await writer.WaitForCommittedAsync(1); // the writer is running before the backup starts

        BackupDatabaseOutput backup;
        int before = writer.Committed;
        try
        {
            backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("app"), null, None);
        }
        finally
        {
            await stop.CancelAsync();
            await writing;
        }

        output.WriteLine($"{journalMode}: {before} batches committed before the backup, {writer.Committed} after it");
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "app-copy", Replace: false), null, None);

        Assert.True(restore.CountsMatch, restore.Detail);
        var perBatch = RowsPerBatch(folder.PathOf("restored.db"));
        Assert.All(perBatch, b => Assert.Equal(BatchSize, b.Value));
        Assert.Equal(Enumerable.Range(0, perBatch.Count).Select(i => (long)i), perBatch.Keys); // no gap: the batches committed before the snapshot
        Assert.InRange(perBatch.Count, before, writer.Committed);
        output.WriteLine($"{journalMode}: the copy holds {perBatch.Count} batches");
        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal(perBatch.Count * (long)BatchSize, manifest.SourceStats.Counts["batches"]);
        Assert.Equal(writer.Committed * (long)BatchSize, SqliteTestFolder.Scalar<long>(source, "SELECT count(*) FROM batches")); // the writer lost nothing
        Assert.Empty(folder.TempLeftovers());
    }

    private static SortedDictionary<long, long> RowsPerBatch(string path)
    {
        using var db = SqliteTestFolder.Open(path, SqliteOpenMode.ReadOnly);
        using var command = new SqliteCommand("SELECT batch, count(*) FROM batches GROUP BY batch", db);
        using var reader = command.ExecuteReader();
        var rows = new SortedDictionary<long, long>();
        while (reader.Read())
        {
            rows[reader.GetInt64(0)] = reader.GetInt64(1);
        }

        return rows;
    }

    /// <summary>Commits batches of <see cref="BatchSize"/> rows, one transaction each, until stopped.</summary>
    private sealed class BatchWriter(string path)
    {
        private int _committed;

        public int Committed => Volatile.Read(ref _committed);

        public void Run(CancellationToken stop)
        {
            using var db = SqliteTestFolder.Open(path);
            string payload = new('x', 120);
            while (!stop.IsCancellationRequested)
            {
                int batch = Committed;
                // BEGIN IMMEDIATE: in rollback-journal mode a copy in progress makes this wait (Microsoft.Data.Sqlite retries while busy).
                SqliteTestFolder.Execute(db, "BEGIN IMMEDIATE");
                for (int seq = 0; seq < BatchSize; seq++)
                {
                    SqliteTestFolder.Execute(db, "INSERT INTO batches VALUES ($b, $s, $p)", ("$b", batch), ("$s", seq), ("$p", payload + seq.ToString(CultureInfo.InvariantCulture)));
                }

                SqliteTestFolder.Execute(db, "COMMIT");
                Volatile.Write(ref _committed, batch + 1);
            }
        }

        /// <summary>A bounded poll on the evidence (the committed count), never a fixed sleep.</summary>
        public async Task WaitForCommittedAsync(int batches)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Committed < batches)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the writer committed {Committed} batches in 60 s");
                await Task.Delay(10);
            }
        }
    }
}
