using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BackupFunctions.IntegrationTests.Engines.Files;

/// <summary>
/// A representative file set in a unique temporary directory (removed on dispose), and the canonical description of
/// a tree that restore tests compare: every entry with its kind, mode, modification time, size and SHA-256, links
/// with their targets (never followed).
/// </summary>
internal sealed class FileTreeSample : IDisposable
{
    private FileTreeSample(string scratch)
    {
        Scratch = scratch;
        Source = Path.Combine(scratch, "source tree ✓");
        Outside = Path.Combine(scratch, "outside");
        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(Outside);
    }

    /// <summary>The unique temporary directory holding everything the test makes.</summary>
    public string Scratch { get; }

    /// <summary>The tree to back up.</summary>
    public string Source { get; }

    /// <summary>A directory beside the tree that a restore must never write into; a link of the tree points at it.</summary>
    public string Outside { get; }

    public static FileTreeSample Create()
    {
        var sample = new FileTreeSample(Directory.CreateTempSubdirectory("backupfn-files-").FullName);
        sample.Fill();
        return sample;
    }

    /// <summary>A new path (not created) inside <see cref="Scratch"/>.</summary>
    public string NewPath(string name) => Path.Combine(Scratch, name);

    private void Fill()
    {
        var t0 = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1_234_567);
        Write("config.json", "{\"model\": \"mini\"}\n", t0, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Write(".env.hidden", "HIDDEN=1\n", t0.AddSeconds(1), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Write("empty file", "", t0.AddSeconds(2), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Write("workflows/ünïcødé 名前 export.json", "{\"nodes\": [\"ä\", \"名\"]}", t0.AddSeconds(3), UnixFileMode.UserRead);
        Write("bin/run me.sh", "#!/bin/sh\necho hi\n", t0.AddSeconds(4), (UnixFileMode)0b111_101_101);
        var binary = new byte[300_000];
        new Random(14).NextBytes(binary);
        Directory.CreateDirectory(Path.Combine(Source, "index/faiss"));
        File.WriteAllBytes(Path.Combine(Source, "index/faiss/index.faiss"), binary);
        File.SetLastWriteTimeUtc(Path.Combine(Source, "index/faiss/index.faiss"), t0.AddSeconds(5));
        Directory.CreateDirectory(Path.Combine(Source, "empty dir"));
        Directory.CreateDirectory(Path.Combine(Source, "deep/er/est"));
        File.CreateSymbolicLink(Path.Combine(Source, "latest.json"), "workflows/ünïcødé 名前 export.json");
        File.CreateSymbolicLink(Path.Combine(Source, "index/current"), "faiss");
        File.CreateSymbolicLink(Path.Combine(Source, "outside-link"), Outside); // stored as a link, never followed
        File.CreateSymbolicLink(Path.Combine(Source, "dangling"), "no/such/file");
        File.WriteAllText(Path.Combine(Outside, "secret.txt"), "not part of the tree");
        foreach (var (dir, seconds) in new[] { ("deep/er/est", 10), ("deep/er", 11), ("deep", 12), ("empty dir", 13), ("index/faiss", 14), ("index", 15), ("workflows", 16), ("bin", 17) })
        {
            Directory.SetLastWriteTimeUtc(Path.Combine(Source, dir), t0.AddSeconds(seconds));
        }
    }

    private void Write(string path, string text, DateTime modified, UnixFileMode mode)
    {
        string full = Path.Combine(Source, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text, new UTF8Encoding(false));
        File.SetLastWriteTimeUtc(full, modified);
        File.SetUnixFileMode(full, mode);
    }

    /// <summary>Every entry under <paramref name="root"/> (not the root), one line each, in ordinal order.</summary>
    public static string Describe(string root)
    {
        var lines = new List<string>();
        Describe(new DirectoryInfo(root), "", lines, pathsOnly: false);
        return string.Join("\n", lines);
    }

    /// <summary>The paths of <see cref="Describe"/>, comma-separated.</summary>
    public static string Paths(string root)
    {
        var lines = new List<string>();
        Describe(new DirectoryInfo(root), "", lines, pathsOnly: true);
        return string.Join(",", lines);
    }

    private static void Describe(DirectoryInfo directory, string prefix, List<string> lines, bool pathsOnly)
    {
        foreach (var e in directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            string path = prefix + e.Name;
            if (pathsOnly)
            {
                lines.Add(path);
            }
            else if (e.LinkTarget is { } target)
            {
                lines.Add($"l {path} -> {target}");
            }
            else if (e is DirectoryInfo)
            {
                lines.Add($"d {path} {Mode(e)} {Time(e)}");
            }
            else
            {
                using var file = File.OpenRead(e.FullName);
                lines.Add($"f {path} {Mode(e)} {Time(e)} {file.Length} {Convert.ToHexStringLower(SHA256.HashData(file))}");
            }

            if (e is DirectoryInfo d && e.LinkTarget is null)
            {
                Describe(d, path + "/", lines, pathsOnly);
            }
        }
    }

    private static string Mode(FileSystemInfo e) => Convert.ToString((int)e.UnixFileMode, 8);

    private static string Time(FileSystemInfo e) => e.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var d in new DirectoryInfo(Scratch).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            d.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        Directory.Delete(Scratch, recursive: true);
    }
}
