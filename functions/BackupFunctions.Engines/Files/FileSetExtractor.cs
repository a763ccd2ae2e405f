using System.Formats.Tar;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// Extracts a files backup into a fresh staging directory and never writes outside it: names are checked by
/// <see cref="ArchiveNames"/>; every directory on an entry's way must be a real directory (a link stored earlier in the
/// archive, <c>a -> /etc</c>, is never written through: <c>a/x</c> is refused); each entry is created new
/// (O_EXCL), so nothing existing, a link included, is opened. Symbolic links are created as links, unresolved.
/// Directory modes and times are applied at the end, deepest first, so a read-only directory is filled first.
/// </summary>
internal sealed class FileSetExtractor(string staging) : IFileSetSink
{
    private readonly HashSet<string> _realDirectories = new(StringComparer.Ordinal) { "" };
    private readonly List<(string Full, UnixFileMode Mode, DateTime Modified)> _directories = [];

    public void Directory(string path, TarEntry entry)
    {
        EnsureDirectory(path);
        _directories.Add((Full(path), entry.Mode, entry.ModificationTime.UtcDateTime));
    }

    public Stream File(string path)
    {
        EnsureDirectory(Parent(path));
        return new FileStream(Full(path), new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // O_EXCL: fails on anything already there, a dangling link too
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    public void FileWritten(string path, TarEntry entry)
    {
        string full = Full(path);
        System.IO.File.SetUnixFileMode(full, entry.Mode);
        System.IO.File.SetLastWriteTimeUtc(full, entry.ModificationTime.UtcDateTime);
    }

    public void Symlink(string path, string target)
    {
        EnsureDirectory(Parent(path));
        System.IO.File.CreateSymbolicLink(Full(path), target);
    }

    /// <summary>Directory times then modes, deepest first: a child's creation would change its parent's time, and a read-only directory is filled before it becomes one.</summary>
    public void Finish()
    {
        foreach (var (full, mode, modified) in _directories.OrderByDescending(d => d.Full.Length))
        {
            System.IO.Directory.SetLastWriteTimeUtc(full, modified);
            System.IO.File.SetUnixFileMode(full, mode);
        }
    }

    /// <summary>Makes <paramref name="path"/> (relative) a real directory, checking each step: an existing step that is a link or a file is refused.</summary>
    private void EnsureDirectory(string path)
    {
        if (_realDirectories.Contains(path))
        {
            return;
        }

        EnsureDirectory(Parent(path));
        string full = Full(path);
        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null || System.IO.File.Exists(full))
        {
            throw new InvalidDataException($"entry '{path}' would be written through the link or file of that name earlier in the archive; a restore writes only inside its destination");
        }

        if (!info.Exists)
        {
            System.IO.Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _realDirectories.Add(path);
    }

    private static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    private string Full(string path) => path.Length == 0 ? staging : Path.Combine(staging, path);
}
