namespace BackupFunctions.Engines.Files;

/// <summary>What a file set entry is: the only three kinds a files backup stores.</summary>
internal enum FileEntryKind
{
    File,
    Directory,
    Symlink,
}

/// <summary>One entry of a file set: its '/'-separated path relative to the root, and where it is on disk.</summary>
internal sealed record FileTreeEntry(string Path, string FullPath, FileEntryKind Kind, long Length, string? LinkTarget);

/// <summary>
/// Walks a directory into the entries a backup stores, in a stable order (ordinal by name, a directory before its
/// contents). Symbolic links are entries, never followed. Hidden (dot) files are included. The reserved
/// <see cref="FileSetArchive.ReservedDirectory"/> at the root must be excluded explicitly.
/// </summary>
internal static class FileTree
{
    private static readonly EnumerationOptions Children = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = 0, // the default skips Hidden, which on Unix is every dot file
        IgnoreInaccessible = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>The selected entries under <paramref name="root"/> (not the root itself).</summary>
    public static List<FileTreeEntry> Walk(string root, FileSelection selection)
    {
        var top = new DirectoryInfo(root);
        if (!top.Exists)
        {
            throw new EngineException(FailureKind.NotFound, $"directory '{root}' does not exist (check the target's Connection)");
        }

        var entries = new List<FileTreeEntry>();
        Walk(top, "", selection, entries);
        return entries;
    }

    /// <summary>Counts of a walk, as a backup's statistics name them.</summary>
    public static FileCounts Count(IEnumerable<FileTreeEntry> entries)
    {
        var counts = new FileCounts();
        foreach (var e in entries)
        {
            counts.Add(e.Kind, e.Length);
        }

        return counts;
    }

    /// <returns>True when anything under <paramref name="directory"/> was selected.</returns>
    private static bool Walk(DirectoryInfo directory, string prefix, FileSelection selection, List<FileTreeEntry> into)
    {
        List<FileSystemInfo> children;
        try
        {
            children = [.. directory.EnumerateFileSystemInfos("*", Children).OrderBy(c => c.Name, StringComparer.Ordinal)];
        }
        catch (UnauthorizedAccessException e)
        {
            throw new EngineException(FailureKind.Configuration,
                $"cannot list '{directory.FullName}': permission denied (run as a user that can read it, or Exclude it)", e);
        }

        bool any = false;
        foreach (var child in children)
        {
            string path = prefix + child.Name;
            if (prefix.Length == 0 && child.Name == FileSetArchive.ReservedDirectory && !selection.Excludes(path))
            {
                throw new EngineException(FailureKind.Configuration,
                    $"'{child.FullName}' uses the name a files backup reserves for its checksums (add \"{FileSetArchive.ReservedDirectory}\" to the target's Exclude, or rename it)");
            }

            if (selection.Excludes(path))
            {
                continue;
            }

            if (child.LinkTarget is { } target)
            {
                if (selection.Includes(path))
                {
                    into.Add(new FileTreeEntry(path, child.FullName, FileEntryKind.Symlink, 0, target));
                    any = true;
                }
            }
            else if (child is DirectoryInfo subdirectory)
            {
                int at = into.Count;
                into.Add(new FileTreeEntry(path, child.FullName, FileEntryKind.Directory, 0, null));
                if (Walk(subdirectory, path + "/", selection, into) || selection.IncludesEverything || selection.Includes(path))
                {
                    any = true;
                }
                else
                {
                    into.RemoveAt(at); // nothing selected under it: not kept
                }
            }
            else if (child is FileInfo file && selection.Includes(path))
            {
                into.Add(new FileTreeEntry(path, child.FullName, FileEntryKind.File, file.Length, null));
                any = true;
            }
        }

        return any;
    }
}

/// <summary>Files, bytes, directories and symbolic links of a file set: its statistics.</summary>
internal sealed class FileCounts
{
    public const string StatsKind = "fileSet";

    public long Files { get; private set; }
    public long Bytes { get; private set; }
    public long Directories { get; private set; }
    public long Symlinks { get; private set; }

    public void Add(FileEntryKind kind, long length)
    {
        switch (kind)
        {
            case FileEntryKind.File:
                Files++;
                Bytes += length;
                break;
            case FileEntryKind.Directory:
                Directories++;
                break;
            case FileEntryKind.Symlink:
                Symlinks++;
                break;
        }
    }

    public IReadOnlyDictionary<string, long> ToDictionary() => new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["files"] = Files,
        ["bytes"] = Bytes,
        ["directories"] = Directories,
        ["symlinks"] = Symlinks,
    };

    public SourceStats ToStats() => new(StatsKind, ToDictionary(), Bytes);
}
