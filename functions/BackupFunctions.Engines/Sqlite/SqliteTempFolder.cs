using System.Diagnostics;
using System.Security.Cryptography;

namespace BackupFunctions.Engines.Sqlite;

/// <summary>
/// A folder of its own under the target's TempDirectory (the system temp directory when unset) for one
/// operation's database copy: <c>backupfn-sqlite-{purpose}-{random}</c>. SQLite may add <c>-wal</c>,
/// <c>-shm</c> and <c>-journal</c> files beside a copy it opens; disposing deletes the folder with all of
/// them, on success, failure and cancellation alike.
/// </summary>
internal sealed class SqliteTempFolder : IDisposable
{
    private SqliteTempFolder(string path) => FolderPath = path;

    public string FolderPath { get; }

    /// <summary>Where the operation's database copy goes.</summary>
    public string Database => Path.Combine(FolderPath, "copy.db");

    /// <summary>
    /// Creates the folder. A missing TempDirectory is a Configuration error; one whose disk has less free
    /// space than <paramref name="neededBytes"/> too (a copy that would fill the disk fails late and hurts the
    /// other users of that disk).
    /// </summary>
    public static SqliteTempFolder Create(string? tempDirectory, string purpose, long? neededBytes)
    {
        string root = Path.GetFullPath(string.IsNullOrWhiteSpace(tempDirectory) ? Path.GetTempPath() : tempDirectory);
        if (!Directory.Exists(root))
        {
            throw new EngineException(FailureKind.Configuration,
                $"the SQLite temporary directory {root} does not exist (create it, or set the target's TempDirectory to an existing folder)");
        }

        if (neededBytes is { } needed && FreeBytes(root) is { } free && free < needed)
        {
            throw new EngineException(FailureKind.Configuration,
                $"the SQLite temporary directory {root} has {free / (1024 * 1024)} MiB free but the database copy needs about {needed / (1024 * 1024)} MiB (free space there, or set the target's TempDirectory to a larger disk)");
        }

        string path = Path.Combine(root, $"backupfn-sqlite-{purpose}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineException(FailureKind.Configuration,
                $"cannot create a folder in the SQLite temporary directory {root}: {e.Message} (check its permissions, or set the target's TempDirectory)", e);
        }

        return new SqliteTempFolder(path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(FolderPath, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The operation's own outcome is the one to report; the path says what to delete by hand.
            Trace.TraceWarning($"could not delete the SQLite temporary folder {FolderPath}: {e.Message}");
        }
    }

    private static long? FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(path).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
