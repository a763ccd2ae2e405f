using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// A directory tree (configuration, model files, a FAISS index, a Chroma persist directory, exported workflows) as a
/// streamed PAX tar with a per-file SHA-256 list as its last entry. The connection is the directory's absolute path.
/// PreCommand runs before the walk (a failure fails the backup) and PostCommand after it on every path. Restores
/// extract into a staging directory beside the destination and swap it in. See README.md in this folder.
/// </summary>
public sealed class FilesEngine : IDatabaseEngine
{
    private readonly FileSetSettings _settings;
    private readonly FileSelection _selection;
    private readonly ILogger _logger;

    public FilesEngine(FileSetSettings? settings = null, ILogger? logger = null)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new EngineException(FailureKind.Configuration, "the files engine needs Linux or macOS (it keeps Unix modes and symbolic links)");
        }

        _settings = settings ?? FileSetSettings.Everything;
        _selection = new FileSelection(_settings.Include, _settings.Exclude);
        _logger = logger ?? NullLogger.Instance;
    }

    public string Name => "files";

    public string DataExtension => "tar";

    /// <summary>The directory's full path (a path is no secret, and it is what a reader of the manifest needs).</summary>
    public string Describe(string connection) => Root(connection);

    public Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken)
    {
        string root = Root(connection);
        return Task.FromResult(Directory.Exists(root) ? FileTree.Count(FileTree.Walk(root, _selection)).Bytes : (long?)null);
    }

    public async Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken)
    {
        string root = Root(connection);
        if (!Directory.Exists(root))
        {
            throw new EngineException(FailureKind.NotFound, $"directory '{root}' does not exist (check the target's Connection)");
        }

        try
        {
            if (_settings.PreCommand is { } pre)
            {
                await FileCommand.RunAsync("PreCommand", pre, root, _settings.CommandTimeout, _logger, cancellationToken);
            }

            var entries = FileTree.Walk(root, _selection);
            var (counts, warnings) = await FileSetArchive.WriteAsync(entries, destination, cancellationToken);
            foreach (string warning in warnings)
            {
                Logs.FileSetWarning(_logger, root, warning);
            }

            if (await PostCommandAsync(root) is { } post)
            {
                warnings.Add(post);
            }

            return new DumpResult(System.Runtime.InteropServices.RuntimeInformation.OSDescription, "backupfn-files", $"System.Formats.Tar {typeof(System.Formats.Tar.TarWriter).Assembly.GetName().Version}",
                FileSetArchive.Format, counts.ToStats(), warnings);
        }
        catch when (_settings.PostCommand is not null)
        {
            await PostCommandAsync(root);
            throw;
        }
    }

    /// <summary>Runs PostCommand (when set) whatever happened before, even after a cancellation; its failure is logged and returned, never thrown.</summary>
    private async Task<string?> PostCommandAsync(string root)
    {
        if (_settings.PostCommand is not { } post)
        {
            return null;
        }

        try
        {
            await FileCommand.RunAsync("PostCommand", post, root, _settings.CommandTimeout, _logger, CancellationToken.None);
            return null;
        }
        catch (EngineException e)
        {
            Logs.PostCommandFailed(_logger, root, e.Message);
            return $"{e.Message}; the writer it resumes may still be paused";
        }
    }

    public async Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken)
    {
        FileSetContents contents;
        try
        {
            contents = await FileSetReader.ReadAsync(dump, null, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            return new StructureCheck(false, $"tar: {e.Message}");
        }

        var (differing, sums) = contents.Differences;
        if (differing > 0)
        {
            return new StructureCheck(false, $"tar: {sums}");
        }

        var (equal, detail) = StatsComparison.Compare(expected.Counts, contents.Counts.ToDictionary(), "manifest");
        return new StructureCheck(equal, equal
            ? $"tar: {contents.Counts.Files} files ({contents.Counts.Bytes} bytes) match their SHA-256 list, {contents.Counts.Directories} directories, {contents.Counts.Symlinks} symlinks"
            : $"tar: {detail}");
    }

    public async Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken) =>
        await RestoreIntoAsync(dump, Root(destinationConnection), options, cancellationToken);

    /// <summary>Restores into <paramref name="destination"/> (see <see cref="FileSetExtractor"/>) and returns the SHA-256 list stored with the backup.</summary>
    internal static async Task<IReadOnlyDictionary<string, string>> RestoreIntoAsync(Stream dump, string destination, RestoreOptions options, CancellationToken cancellationToken)
    {
        RefuseUnlessRestorable(destination, options.Replace);
        string staging;
        try
        {
            staging = DirectorySwap.CreateBeside(destination, "restoring");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new EngineException(FailureKind.Configuration,
                $"cannot create a staging directory beside '{destination}': permission denied (a restore stages beside its destination; make the parent writable)", e);
        }

        try
        {
            var extractor = new FileSetExtractor(staging);
            FileSetContents contents;
            try
            {
                contents = await FileSetReader.ReadAsync(dump, extractor, cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException)
            {
                throw new EngineException(FailureKind.Failed, $"restore into '{destination}' stopped, nothing kept: {e.Message}", e);
            }

            var (differing, detail) = contents.Differences;
            if (differing > 0)
            {
                throw new EngineException(FailureKind.Failed, $"restore into '{destination}' stopped, nothing kept: {detail}");
            }

            extractor.Finish();
            if (options.VerifyBeforeSwap is { } verify)
            {
                await verify(cancellationToken);
            }

            RefuseUnlessRestorable(destination, options.Replace); // it may have filled meanwhile
            try
            {
                DirectorySwap.Swap(staging, destination);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new EngineException(FailureKind.Failed,
                    $"restore into '{destination}' could not swap the restored tree in, nothing changed: {e.Message} (is it a mount point? restore into a directory under it)", e);
            }

            return contents.StoredSums;
        }
        finally
        {
            DirectorySwap.DeleteTree(staging); // gone already after a swap
        }
    }

    private static void RefuseUnlessRestorable(string destination, bool replace)
    {
        var info = new DirectoryInfo(destination);
        if (info.Parent is null)
        {
            throw new EngineException(FailureKind.Refused, $"restore destination '{destination}' is the file system's root (restore into a directory under it)");
        }

        if (info.LinkTarget is not null)
        {
            throw new EngineException(FailureKind.Refused, $"restore destination '{destination}' is a symbolic link (give the directory it points to)");
        }

        if (File.Exists(destination))
        {
            throw new EngineException(FailureKind.Refused, $"restore destination '{destination}' is a file, not a directory");
        }

        if (!Directory.Exists(info.Parent.FullName))
        {
            throw new EngineException(FailureKind.NotFound, $"the parent of restore destination '{destination}' does not exist (create it)");
        }

        if (!replace && info.Exists && info.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }).Any())
        {
            throw new EngineException(FailureKind.Refused,
                $"restore destination '{destination}' is not empty; pass --replace to replace it (it is replaced only after the whole backup was extracted and checked)");
        }
    }

    /// <summary>A directory not there yet has nothing for a safety backup to save.</summary>
    public Task<bool> DestinationExistsAsync(string connection, CancellationToken cancellationToken) =>
        Task.FromResult(Directory.Exists(Root(connection)));

    public Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken) =>
        Task.FromResult(FileTree.Count(FileTree.Walk(Root(connection), _selection)).ToStats());

    /// <summary>A new directory under RestoreTest:Connection when set, else under the system's temporary directory (TMPDIR).</summary>
    public Task<IScratchDatabase> CreateScratchAsync(ScratchRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IScratchDatabase>(FilesScratch.Create(request.RestoreTestConnection is { } parent ? Root(parent) : Path.GetTempPath()));

    /// <summary>The connection as a full path; a relative one is a configuration error.</summary>
    internal static string Root(string connection)
    {
        if (string.IsNullOrWhiteSpace(connection) || !Path.IsPathFullyQualified(connection))
        {
            throw new EngineException(FailureKind.Configuration,
                $"files target directory '{connection}' is not an absolute path (give one, e.g. /srv/app/config)");
        }

        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(connection)) is { Length: > 0 } full ? full : "/";
    }
}
