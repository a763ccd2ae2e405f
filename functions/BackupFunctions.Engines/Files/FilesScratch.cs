namespace BackupFunctions.Engines.Files;

/// <summary>
/// A restore test's directory: a new <c>backupfn-restore-test-*</c> directory under a parent, the backup restored
/// into its <c>tree</c>, removed on dispose. Its statistics re-read every restored file from disk and compare it with
/// the SHA-256 list stored with the backup: a difference shows as a <c>filesDiffering</c> count, which fails the test.
/// </summary>
internal sealed class FilesScratch : IScratchDatabase
{
    public const string DifferingKey = "filesDiffering";

    private readonly string _directory;
    private readonly string _tree;
    private IReadOnlyDictionary<string, string>? _sums;

    private FilesScratch(string directory)
    {
        _directory = directory;
        _tree = Path.Combine(directory, "tree");
    }

    public static FilesScratch Create(string parent)
    {
        if (!Directory.Exists(parent))
        {
            throw new EngineException(FailureKind.NotFound, $"restore-test directory '{parent}' does not exist (create it, or set Targets:*:RestoreTest:Connection)");
        }

        string directory = Path.Combine(parent, $"backupfn-restore-test-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new FilesScratch(directory);
    }

    public string Description => $"directory {_tree}";

    public async Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken) =>
        _sums = await FilesEngine.RestoreIntoAsync(dump, _tree, options, cancellationToken);

    public async Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken)
    {
        var entries = FileTree.Walk(_tree, FileSelection.All);
        var stats = FileTree.Count(entries).ToStats();
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in entries.Where(e => e.Kind == FileEntryKind.File))
        {
            await using var file = File.OpenRead(e.FullPath);
            found[e.Path] = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(file, cancellationToken));
        }

        var (differing, _) = FileSums.Compare(_sums ?? new Dictionary<string, string>(), found);
        if (differing == 0)
        {
            return stats;
        }

        var counts = new Dictionary<string, long>(stats.Counts) { [DifferingKey] = differing };
        return stats with { Counts = counts };
    }

    public ValueTask DisposeAsync()
    {
        DirectorySwap.DeleteTree(_directory);
        return ValueTask.CompletedTask;
    }
}
