using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace BackupFunctions.Engines.Sqlite;

/// <summary>
/// Restores a stored database file to a path: the bytes go into a staging file beside the destination
/// (<c>.{name}.backupfn-restoring-{random}</c>, same folder, so same file system), which must pass the
/// checksums and <c>PRAGMA integrity_check</c> before one rename puts it in place. An existing destination
/// is refused without Replace; with it, it is replaced only if no other connection has it open (its WAL
/// checkpointed away and no <c>-wal</c>/<c>-journal</c> left, which would otherwise be applied to the new
/// file). Any failure or cancellation deletes the staging file and leaves the destination as it was.
/// </summary>
internal static class SqliteRestorer
{
    private const int CopyBufferSize = 256 * 1024;

    public static async Task RestoreAsync(SqliteFile destination, Stream dump, RestoreOptions options, CancellationToken cancellationToken)
    {
        string path = destination.Path;
        string folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            throw new EngineException(FailureKind.Configuration, $"the folder of the restore destination {path} does not exist (create it first)");
        }

        if (File.Exists(path) && !options.Replace)
        {
            throw Exists(path);
        }

        string staging = Path.Combine(folder, $".{Path.GetFileName(path)}.backupfn-restoring-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        bool moved = false;
        try
        {
            await WriteAsync(dump, staging, cancellationToken);

            // Anything after the database file is part of the stream the checksums cover: read it all before the swap.
            await dump.CopyToAsync(Stream.Null, cancellationToken);
            if (options.VerifyBeforeSwap is not null)
            {
                await options.VerifyBeforeSwap(cancellationToken);
            }

            await CheckIntegrityAsync(destination.WithPath(staging), path, cancellationToken);
            if (options.Replace && File.Exists(path))
            {
                await ReleaseAsync(destination, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // rename(2) with Replace; without it, a file that appeared meanwhile makes the move fail, never overwritten.
                File.Move(staging, path, overwrite: options.Replace);
            }
            catch (IOException) when (!options.Replace && File.Exists(path))
            {
                throw Exists(path);
            }

            moved = true;
        }
        finally
        {
            if (!moved)
            {
                DeleteWithCompanions(staging);
            }
        }
    }

    private static async Task WriteAsync(Stream dump, string staging, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(staging, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0, Options = FileOptions.Asynchronous,
        });
        await dump.CopyToAsync(file, CopyBufferSize, cancellationToken);
        file.Flush(flushToDisk: true); // on disk before the rename makes it the destination
    }

    /// <summary>Opens the staged file as a database and runs <c>PRAGMA integrity_check</c>; Failed unless "ok".</summary>
    private static async Task CheckIntegrityAsync(SqliteFile staged, string destination, CancellationToken cancellationToken)
    {
        string result;
        try
        {
            await using var connection = await staged.OpenAsync(readOnly: false, cancellationToken);
            result = await SqliteStats.IntegrityCheckAsync(connection, cancellationToken);
        }
        catch (SqliteException e)
        {
            result = e.Message;
        }

        if (result != "ok")
        {
            throw new EngineException(FailureKind.Failed,
                $"the restored database fails PRAGMA integrity_check ({Shorten(result)}); {destination} was left unchanged");
        }
    }

    /// <summary>
    /// Makes sure nothing of the old database outlives the rename: its WAL is checkpointed into it and,
    /// once our connection (the last one) closes, SQLite deletes <c>-wal</c> and <c>-shm</c>. A <c>-wal</c> or
    /// <c>-journal</c> still there means another connection has the file open: refused.
    /// </summary>
    private static async Task ReleaseAsync(SqliteFile destination, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await destination.OpenAsync(readOnly: false, cancellationToken);
            await using var checkpoint = new SqliteCommand("PRAGMA wal_checkpoint(TRUNCATE)", connection);
            await using var reader = await checkpoint.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) != 0)
            {
                throw InUse(destination.Path);
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SQLitePCL.raw.SQLITE_NOTADB)
        {
            // Not a database: nothing of it can be applied to the new file; it is simply replaced.
        }

        if (File.Exists(destination.Path + "-wal") || File.Exists(destination.Path + "-journal") && new FileInfo(destination.Path + "-journal").Length > 0)
        {
            throw InUse(destination.Path);
        }

        File.Delete(destination.Path + "-shm");
        File.Delete(destination.Path + "-journal");
    }

    private static void DeleteWithCompanions(string path)
    {
        foreach (string file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                System.Diagnostics.Trace.TraceWarning($"could not delete the SQLite staging file {file}: {e.Message}");
            }
        }
    }

    private static EngineException Exists(string path) => new(FailureKind.Refused,
        $"SQLite database file {path} already exists; pass --replace to replace it (it is replaced only after the restore has succeeded)");

    private static EngineException InUse(string path) => new(FailureKind.Refused,
        $"SQLite database {path} is in use by another connection (its WAL could not be checkpointed away, or a -wal/-journal file remains): stop the applications using it, then restore again");

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;
}
