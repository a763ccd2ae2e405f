using Microsoft.Data.Sqlite;

namespace BackupFunctions.Engines.Sqlite;

/// <summary>
/// SQLite database files through Microsoft.Data.Sqlite. A dump is the database file itself, copied
/// consistently from the live database by the online backup API (<see cref="SqliteOnlineBackup"/>) into a
/// temporary file, then streamed into the pipeline: the API writes to a database file, not to a stream,
/// so this engine, unlike the others, needs one temporary copy (see README.md in this folder). Verify
/// spools the stored copy the same way and runs <c>PRAGMA integrity_check</c>; restore writes beside the
/// destination and renames (<see cref="SqliteRestorer"/>).
/// </summary>
public sealed class SqliteEngine : IDatabaseEngine
{
    public const string Tool = "sqlite-backup-api";
    public const string Format = "sqlite3 database file";

    private const int CopyBufferSize = 256 * 1024;
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();
    private readonly string? _tempDirectory;

    /// <param name="tempDirectory">Where the temporary copies go (the target's TempDirectory); null for the system temp directory.</param>
    public SqliteEngine(string? tempDirectory = null) =>
        _tempDirectory = string.IsNullOrWhiteSpace(tempDirectory) ? null : tempDirectory;

    public string Name => "sqlite";

    public string DataExtension => "sqlite";

    public string Describe(string connection) => SqliteFile.Parse(connection).Description;

    /// <summary>The file and its WAL: about what the copy will hold.</summary>
    public Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken) =>
        Task.FromResult(SizeOnDisk(SqliteFile.Parse(connection).Path));

    public async Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken)
    {
        var source = SqliteFile.Parse(connection);
        using var temp = SqliteTempFolder.Create(_tempDirectory, "backup", SizeOnDisk(source.Path)
            ?? throw new EngineException(FailureKind.NotFound, $"SQLite database file {source.Path} does not exist (check the target's Data Source)"));
        await SqliteOnlineBackup.CopyAsync(source, temp.Database, cancellationToken);

        // The counts are the copy's own: exactly what is stored, whatever was written to the source since.
        var copy = source.WithPath(temp.Database);
        string version;
        SourceStats stats;
        try
        {
            await using (var connectionToCopy = await copy.OpenAsync(readOnly: false, cancellationToken))
            {
                version = await SqliteStats.VersionAsync(connectionToCopy, cancellationToken);
                stats = await SqliteStats.ReadAsync(connectionToCopy, new FileInfo(temp.Database).Length, cancellationToken);
            }

            await using var file = new FileStream(temp.Database, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await file.CopyToAsync(destination, CopyBufferSize, cancellationToken);
        }
        catch (SqliteException e)
        {
            throw copy.Translate(e, "read the copy of");
        }

        return new DumpResult(version, Tool, version, Format, stats);
    }

    /// <summary>
    /// Spools the stored copy to a temporary file (SQLite checks a file, not a stream), then
    /// <c>PRAGMA integrity_check</c> and the rows per table against <paramref name="expected"/>.
    /// </summary>
    public async Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken)
    {
        byte[] header = new byte[Header.Length];
        int read = await dump.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        if (read < Header.Length || !header.AsSpan().SequenceEqual(Header))
        {
            return new StructureCheck(false, "the stored copy does not start with the SQLite header ('SQLite format 3')");
        }

        using var temp = SqliteTempFolder.Create(_tempDirectory, "verify", expected.SizeBytes);
        await using (var file = new FileStream(temp.Database, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, FileOptions.Asynchronous))
        {
            await file.WriteAsync(header, cancellationToken);
            await dump.CopyToAsync(file, CopyBufferSize, cancellationToken);
        }

        try
        {
            await using var connection = await SqliteFile.At(temp.Database).OpenAsync(readOnly: false, cancellationToken);
            string integrity = await SqliteStats.IntegrityCheckAsync(connection, cancellationToken);
            if (integrity != "ok")
            {
                return new StructureCheck(false, $"PRAGMA integrity_check: {(integrity.Length > 300 ? integrity[..300] + "..." : integrity)}");
            }

            var stats = await SqliteStats.ReadAsync(connection, null, cancellationToken);
            var (equal, detail) = StatsComparison.Compare(expected.Counts, stats.Counts, "manifest");
            return new StructureCheck(equal, $"PRAGMA integrity_check ok; {detail}");
        }
        catch (SqliteException e)
        {
            return new StructureCheck(false, $"SQLite cannot read the stored copy: {e.Message}");
        }
    }

    public Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken) =>
        SqliteRestorer.RestoreAsync(SqliteFile.Parse(destinationConnection), dump, options, cancellationToken);

    public async Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken)
    {
        var file = SqliteFile.Parse(connection);
        try
        {
            await using var conn = await file.OpenAsync(readOnly: true, cancellationToken);
            return await SqliteStats.ReadAsync(conn, SizeOnDisk(file.Path), cancellationToken);
        }
        catch (SqliteException e)
        {
            throw file.Translate(e, "read");
        }
    }

    /// <summary>Whether the destination file is there (a safety backup before a replace has nothing to save otherwise).</summary>
    public Task<bool> DestinationExistsAsync(string connection, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(SqliteFile.Parse(connection).Path));

    /// <summary>A scratch file in a folder of its own under TempDirectory; disposing deletes the folder.</summary>
    public Task<IScratchDatabase> CreateScratchAsync(ScratchRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IScratchDatabase>(new SqliteScratch(this, SqliteTempFolder.Create(_tempDirectory, "restore-test", request.Backup.SizeBytes)));

    private static long? SizeOnDisk(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }

        var wal = new FileInfo(path + "-wal");
        return file.Length + (wal.Exists ? wal.Length : 0);
    }
}
