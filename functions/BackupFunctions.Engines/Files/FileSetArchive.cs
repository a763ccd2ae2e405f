using System.Formats.Tar;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// Writes a file set as a PAX tar (System.Formats.Tar), streamed: directories, regular files (mode, modification
/// time, bytes read once and hashed as they pass) and symbolic links as links; then, as the last entry, the
/// per-file SHA-256 list <see cref="SumsEntry"/>. PAX keeps non-ASCII and long names and sub-second times.
/// </summary>
internal static class FileSetArchive
{
    /// <summary>Reserved at the root of every files backup; never extracted by a restore.</summary>
    public const string ReservedDirectory = ".backupfn";

    /// <summary>The per-file SHA-256 list, the archive's last entry.</summary>
    public const string SumsEntry = ReservedDirectory + "/SHA256SUMS";

    /// <summary>The manifest's Format.</summary>
    public const string Format = "tar-pax+sha256sums";

    /// <summary>Writes <paramref name="entries"/> then the SHA-256 list; returns the counts written and the warnings a reader of the manifest must see.</summary>
    public static async Task<(FileCounts Counts, List<string> Warnings)> WriteAsync(IReadOnlyList<FileTreeEntry> entries, Stream destination, CancellationToken cancellationToken)
    {
        var counts = new FileCounts();
        var warnings = new List<string>();
        var sums = new List<(string, string)>();
        await using (var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (e.Kind)
                {
                    case FileEntryKind.Directory:
                        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, e.Path + "/")
                        {
                            Mode = File.GetUnixFileMode(e.FullPath),
                            ModificationTime = new DateTimeOffset(Directory.GetLastWriteTimeUtc(e.FullPath)),
                        }, cancellationToken);
                        break;
                    case FileEntryKind.Symlink:
                        // The link itself, never what it points at (which may be outside the tree).
                        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, e.Path)
                        {
                            LinkName = e.LinkTarget!,
                            Mode = (UnixFileMode)0b111_111_111,
                            ModificationTime = DateTimeOffset.UnixEpoch,
                        }, cancellationToken);
                        break;
                    default:
                        var (length, sha) = await WriteFileAsync(tar, e, warnings, cancellationToken);
                        if (sha is null)
                        {
                            continue;
                        }

                        sums.Add((e.Path, sha));
                        counts.Add(FileEntryKind.File, length);
                        continue;
                }

                counts.Add(e.Kind, 0);
            }

            // Fixed metadata: the same tree always makes the same bytes.
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, SumsEntry)
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = DateTimeOffset.UnixEpoch,
                DataStream = new MemoryStream(FileSums.Format(sums)),
            }, cancellationToken);
        }

        return (counts, warnings);
    }

    /// <returns>The bytes stored and their SHA-256; a null hash when the file was not stored (see the warning added).</returns>
    private static async Task<(long Length, string? Sha256)> WriteFileAsync(TarWriter tar, FileTreeEntry e, List<string> warnings, CancellationToken cancellationToken)
    {
        var (outcome, file) = RegularFiles.Open(e.FullPath);
        if (file is null)
        {
            warnings.Add(outcome == RegularFiles.Outcome.Vanished
                ? $"'{e.Path}' was deleted during the backup and is not in it"
                : $"'{e.Path}' is not a regular file (a FIFO, socket or device) and is not in the backup");
            return (0, null);
        }

        var mode = File.GetUnixFileMode(file.SafeFileHandle);
        var modified = File.GetLastWriteTimeUtc(file.SafeFileHandle);
        await using var snapshot = new FileSnapshotStream(file, e.Path, file.Length);
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, e.Path)
        {
            Mode = mode,
            ModificationTime = new DateTimeOffset(modified),
            DataStream = snapshot,
        }, cancellationToken);
        if (snapshot.Grew)
        {
            warnings.Add($"'{e.Path}' grew during the backup; its first {snapshot.Length} bytes are stored (pause its writer with PreCommand)");
        }

        return (snapshot.Length, snapshot.FinishHash());
    }
}
