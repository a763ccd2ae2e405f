using Microsoft.Data.Sqlite;
using static SQLitePCL.raw;

namespace BackupFunctions.Engines.Sqlite;

/// <summary>
/// A consistent copy of a live database through SQLite's online backup API, into a file (the API writes
/// to a database, never to a stream). A read transaction is opened on the source first and held until the
/// last page is copied, so the copy is one state of the database even though it is made in steps: in WAL
/// mode writers go on meanwhile (and their commits are not in the copy); in rollback-journal mode a writer
/// waits, as for any reader, until the copy is done. Between steps the copy checks for cancellation.
/// </summary>
internal static class SqliteOnlineBackup
{
    /// <summary>Pages per step: 4 MiB at the default 4 KiB page size, about a few ms of work between cancellation checks.</summary>
    private const int PagesPerStep = 1024;

    public static async Task CopyAsync(SqliteFile source, string destinationPath, CancellationToken cancellationToken)
    {
        await using var from = await source.OpenAsync(readOnly: true, cancellationToken);
        await using var to = await source.WithPath(destinationPath).CreateAsync(cancellationToken);
        try
        {
            // The snapshot: a deferred transaction takes its read lock (rollback journal) or its WAL read mark at
            // the first read, which Microsoft.Data.Sqlite retries while the database is busy, up to the timeout.
            await using var snapshot = from.BeginTransaction(deferred: true);
            await using (var first = new SqliteCommand("SELECT count(*) FROM sqlite_schema", from, snapshot))
            {
                await first.ExecuteScalarAsync(cancellationToken);
            }

            await Task.Factory.StartNew(() => Copy(from, to, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await snapshot.CommitAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            throw source.Translate(e, "copy");
        }
    }

    private static void Copy(SqliteConnection from, SqliteConnection to, CancellationToken cancellationToken)
    {
        using var backup = sqlite3_backup_init(to.Handle, "main", from.Handle, "main");
        if (backup.IsInvalid)
        {
            SqliteException.ThrowExceptionForRC(sqlite3_errcode(to.Handle), to.Handle);
        }

        int rc;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            rc = sqlite3_backup_step(backup, PagesPerStep);
        }
        while (rc == SQLITE_OK);

        if (rc != SQLITE_DONE)
        {
            // The source's read transaction is ours, so BUSY/LOCKED here come from the destination: our own file.
            SqliteException.ThrowExceptionForRC(rc, to.Handle);
        }
    }
}
