using BackupFunctions.IntegrationTests.Engines.Files;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// Directories in a unique temporary folder: the <see cref="FileTreeSample"/> tree (non-ASCII and spaced names, modes,
/// times, empty directories, links inside and out of the tree) as the source, and a new empty directory per
/// destination. A files connection holds no credential, so the canary is in the source's PreCommand, whose output
/// echoes it as <c>token=...</c>: it must be redacted everywhere it could show.
/// </summary>
internal sealed class FilesFixture : IEngineFixture
{
    private readonly FileTreeSample _sample = FileTreeSample.Create();

    public string Engine => "files";

    public string? Secret { get; } = $"canary{Guid.NewGuid():N}";

    public object Source => new { Engine, Connection = _sample.Source, PreCommand = $"echo token={Secret}", PostCommand = "true" };

    public static Task<IEngineFixture> CreateAsync() => Task.FromResult<IEngineFixture>(new FilesFixture());

    public Task<object> NewDestinationAsync()
    {
        string directory = _sample.NewPath($"destination-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return Task.FromResult<object>(new { Engine, Connection = directory });
    }

    public Task MakeNonEmptyAsync(object destination)
    {
        File.WriteAllText(Path.Combine(Connection(destination), "keep-me.txt"), "before the restore");
        return Task.CompletedTask;
    }

    /// <summary>Every entry with its kind, mode, time, size and SHA-256; links with their targets.</summary>
    public Task<string> ContentAsync(object target) => Task.FromResult(FileTreeSample.Describe(Connection(target)));

    /// <summary>A 256 MB file of pseudo-random bytes (brotli cannot shrink it, so the dump streams every byte).</summary>
    public async Task GrowAsync()
    {
        var random = new Random(14);
        var chunk = new byte[1 << 20];
        await using var file = File.Create(Path.Combine(_sample.Source, "index", "grown.bin"));
        for (int i = 0; i < 256; i++)
        {
            random.NextBytes(chunk);
            await file.WriteAsync(chunk);
        }
    }

    public ValueTask DisposeAsync()
    {
        _sample.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Connection(object target) => (string)target.GetType().GetProperty("Connection")!.GetValue(target)!;
}

public class FilesConformanceTests : EngineConformanceTests
{
    protected override Task<IEngineFixture> CreateFixtureAsync() => FilesFixture.CreateAsync();
}
