using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace BackupFunctions.Engines.Files;

/// <summary>Where <see cref="FileSetReader"/> puts what it reads: nowhere for verify, a staging directory for a restore.</summary>
internal interface IFileSetSink
{
    void Directory(string path, TarEntry entry);

    /// <summary>A new file to write <paramref name="path"/>'s bytes into; disposed by the reader, then <see cref="FileWritten"/> is called.</summary>
    Stream File(string path);

    void FileWritten(string path, TarEntry entry);

    void Symlink(string path, string target);
}

/// <summary>What a files backup holds: counts, the SHA-256 of every file as read, and the list stored with it.</summary>
internal sealed record FileSetContents(FileCounts Counts, IReadOnlyDictionary<string, string> Hashes, IReadOnlyDictionary<string, string> StoredSums)
{
    public (int Count, string Detail) Differences => FileSums.Compare(StoredSums, Hashes);
}

/// <summary>
/// Walks a files backup to its end: every name checked (<see cref="ArchiveNames"/>), only directories, regular files
/// and symbolic links accepted, each file hashed while it is read, and the SHA-256 list required as the last entry.
/// Anything else is an <see cref="InvalidDataException"/> naming the entry.
/// </summary>
internal static class FileSetReader
{
    private const int MaxSumsBytes = 256 * 1024 * 1024;

    public static async Task<FileSetContents> ReadAsync(Stream archive, IFileSetSink? sink, CancellationToken cancellationToken)
    {
        var counts = new FileCounts();
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? sums = null;
        await using var tar = new TarReader(archive, leaveOpen: true);
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (sums is not null)
            {
                throw new InvalidDataException($"entry '{entry.Name}' follows {FileSetArchive.SumsEntry}, which must be the last");
            }

            string path = ArchiveNames.Check(entry.Name);
            if (path == FileSetArchive.SumsEntry && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                sums = FileSums.Parse(await ReadSumsAsync(entry, cancellationToken));
                continue;
            }

            if (path == FileSetArchive.ReservedDirectory || path.StartsWith(FileSetArchive.ReservedDirectory + "/", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"entry '{path}' uses the reserved name {FileSetArchive.ReservedDirectory}");
            }

            if (!seen.Add(path))
            {
                throw new InvalidDataException($"entry '{path}' appears twice");
            }

            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    sink?.Directory(path, entry);
                    counts.Add(FileEntryKind.Directory, 0);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    long length = entry.Length;
                    hashes[path] = await CopyHashedAsync(entry.DataStream, sink?.File(path), cancellationToken);
                    sink?.FileWritten(path, entry);
                    counts.Add(FileEntryKind.File, length);
                    break;
                case TarEntryType.SymbolicLink:
                    if (string.IsNullOrEmpty(entry.LinkName) || entry.LinkName.Contains('\0', StringComparison.Ordinal))
                    {
                        throw new InvalidDataException($"symbolic link '{path}' has no valid target");
                    }

                    sink?.Symlink(path, entry.LinkName);
                    counts.Add(FileEntryKind.Symlink, 0);
                    break;
                default:
                    throw new InvalidDataException($"entry '{path}' is a {entry.EntryType}, which a files backup never holds");
            }
        }

        return sums is null
            ? throw new InvalidDataException($"the archive ends without {FileSetArchive.SumsEntry} (truncated, or not a files backup)")
            : new FileSetContents(counts, hashes, sums);
    }

    private static async Task<string> CopyHashedAsync(Stream? data, Stream? into, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (into)
        {
            if (data is not null)
            {
                var buffer = new byte[81920];
                int n;
                while ((n = await data.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                    if (into is not null)
                    {
                        await into.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    }
                }
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static async Task<string> ReadSumsAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxSumsBytes)
        {
            throw new InvalidDataException($"{FileSetArchive.SumsEntry} is {entry.Length} bytes, more than any file set needs");
        }

        if (entry.DataStream is null)
        {
            return "";
        }

        using var reader = new StreamReader(entry.DataStream, new UTF8Encoding(false, throwOnInvalidBytes: true), leaveOpen: true);
        try
        {
            return await reader.ReadToEndAsync(cancellationToken);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{FileSetArchive.SumsEntry} is not UTF-8", e);
        }
    }
}

/// <summary>The names a files backup may hold: relative, '/'-separated, no '.', '..' or empty segment, no NUL.</summary>
internal static class ArchiveNames
{
    /// <summary>The entry's path without a trailing '/'; <see cref="InvalidDataException"/> when it could land outside the destination.</summary>
    public static string Check(string name)
    {
        string path = name.EndsWith('/') ? name[..^1] : name;
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidDataException($"entry '{Printable(name)}' has an absolute or empty name; a restore writes only inside its destination");
        }

        foreach (string segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                throw new InvalidDataException($"entry '{Printable(name)}' has a '{segment}' segment; a restore writes only inside its destination");
            }
        }

        return path;
    }

    private static string Printable(string name) => name.Replace("\0", "\\0", StringComparison.Ordinal);
}
