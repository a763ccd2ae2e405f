using System.Diagnostics;
using System.Formats.Tar;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Files;
using BackupFunctions.IntegrationTests.Vault;

namespace BackupFunctions.IntegrationTests.Engines.Files;

/// <summary>
/// The files engine on real directories: Include/Exclude, PreCommand/PostCommand (failure, timeout, redacted output),
/// restore refusing and replacing, hostile archives, a changed stored file found by verify, special files and the
/// reserved name.
/// </summary>
public class FilesEngineTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<MemoryStream> DumpAsync(FilesEngine engine, string root)
    {
        var tar = new MemoryStream();
        await engine.DumpAsync(root, tar, None);
        tar.Position = 0;
        return tar;
    }

    [Fact]
    public async Task IncludeAndExclude_SelectWhatIsStored_AndAnExcludedDirectoryIsSkippedWhole()
    {
        using var sample = FileTreeSample.Create();
        var engine = new FilesEngine(FileSetSettings.Everything with { Include = ["**/*.json", "index/**"], Exclude = ["index/faiss", "latest.json"] });
        string copy = sample.NewPath("copy");

        await using var tar = await DumpAsync(engine, sample.Source);
        await new FilesEngine().RestoreAsync(tar, copy, new RestoreOptions(Replace: false), None);

        Assert.Equal("config.json,index,index/current,workflows,workflows/ünïcødé 名前 export.json", FileTreeSample.Paths(copy));
        Assert.Equal(new Dictionary<string, long> { ["files"] = 2, ["bytes"] = 42, ["directories"] = 2, ["symlinks"] = 1 },
            (await engine.ReadStatsAsync(sample.Source, None)).Counts);
    }

    [Fact]
    public async Task PreCommandFailure_FailsTheBackup_PostCommandStillRuns_OutputRedacted()
    {
        using var sample = FileTreeSample.Create();
        string marker = sample.NewPath("post ran");
        var logs = new ListLoggerProvider();
        var engine = new FilesEngine(FileSetSettings.Everything with
        {
            PreCommand = "echo pausing with password=hunter2; echo 'redis://app:hunter2@cache:6379 refused' >&2; exit 3",
            PostCommand = $"touch \"{marker}\"",
        }, logs.CreateLogger("files"));

        var e = await Assert.ThrowsAsync<EngineException>(() => engine.DumpAsync(sample.Source, Stream.Null, None));

        Assert.Equal(FailureKind.Failed, e.Kind);
        Assert.Equal("PreCommand failed (exit 3): redis://app:***@cache:6379 refused", e.Message);
        Assert.True(File.Exists(marker), "PostCommand did not run after the failed PreCommand");
        Assert.Contains("PreCommand: pausing with password=***", logs.Messages);
        Assert.DoesNotContain(logs.Messages, m => m.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PreCommandTimeout_KillsIt_FailsTheBackup_PostCommandStillRuns()
    {
        using var sample = FileTreeSample.Create();
        string marker = sample.NewPath("post ran");
        string late = sample.NewPath("pre finished");
        var engine = new FilesEngine(FileSetSettings.Everything with
        {
            PreCommand = $"sleep 30; touch \"{late}\"",
            PostCommand = $"touch \"{marker}\"",
            CommandTimeout = TimeSpan.FromSeconds(1),
        });
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<EngineException>(() => engine.DumpAsync(sample.Source, Stream.Null, None));

        Assert.Equal("PreCommand did not finish within 00:00:01 and was killed (fix it, or raise the target's CommandTimeout)", e.Message);
        Assert.True(File.Exists(marker));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the dump waited {clock.Elapsed} for a PreCommand that had timed out");
        Assert.False(File.Exists(late));
    }

    [Fact]
    public async Task CancelledDuringPreCommand_KillsIt_RunsPostCommand_EndsAsACancellation()
    {
        using var sample = FileTreeSample.Create();
        string marker = sample.NewPath("post ran");
        string late = sample.NewPath("pre finished");
        var engine = new FilesEngine(FileSetSettings.Everything with { PreCommand = $"sleep 30; touch \"{late}\"", PostCommand = $"touch \"{marker}\"" });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var thrown = await Record.ExceptionAsync(() => engine.DumpAsync(sample.Source, Stream.Null, cancel.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        Assert.True(File.Exists(marker), "PostCommand did not run after the cancellation");
        Assert.False(File.Exists(late));
    }

    [Fact]
    public async Task PostCommandFailure_KeepsTheBackup_WithAWarning()
    {
        using var sample = FileTreeSample.Create();
        var engine = new FilesEngine(FileSetSettings.Everything with { PreCommand = "true", PostCommand = "echo cannot resume >&2; exit 4" });

        var result = await engine.DumpAsync(sample.Source, Stream.Null, None);

        Assert.Equal(["PostCommand failed (exit 4): cannot resume; the writer it resumes may still be paused"], result.Warnings);
    }

    [Fact]
    public async Task Restore_NonEmptyDestination_IsRefusedWithoutReplace_AndSwappedWithIt()
    {
        using var sample = FileTreeSample.Create();
        string destination = sample.NewPath("live");
        Directory.CreateDirectory(destination);
        File.WriteAllText(Path.Combine(destination, "old.txt"), "old");
        var engine = new FilesEngine();
        await using var tar = await DumpAsync(engine, sample.Source);

        var refused = await Assert.ThrowsAsync<EngineException>(() => engine.RestoreAsync(tar, destination, new RestoreOptions(Replace: false), None));
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("is not empty; pass --replace", refused.Message, StringComparison.Ordinal);
        Assert.Equal("old.txt", FileTreeSample.Paths(destination));

        tar.Position = 0;
        await engine.RestoreAsync(tar, destination, new RestoreOptions(Replace: true), None);

        Assert.Equal(FileTreeSample.Describe(sample.Source), FileTreeSample.Describe(destination));
        Assert.Equal(["live", "outside", "source tree ✓"], Directory.EnumerateFileSystemEntries(sample.Scratch).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no staging or old copy left
    }

    [Fact]
    public async Task Restore_FailingVerifyBeforeSwap_LeavesTheDestinationAsItWas()
    {
        using var sample = FileTreeSample.Create();
        string destination = sample.NewPath("live");
        Directory.CreateDirectory(destination);
        File.WriteAllText(Path.Combine(destination, "old.txt"), "old");
        await using var tar = await DumpAsync(new FilesEngine(), sample.Source);

        await Assert.ThrowsAsync<InvalidOperationException>(() => new FilesEngine().RestoreAsync(tar, destination,
            new RestoreOptions(Replace: true, VerifyBeforeSwap: _ => throw new InvalidOperationException("checksums differ")), None));

        Assert.Equal("old.txt", FileTreeSample.Paths(destination));
        Assert.Equal(["live", "outside", "source tree ✓"], Directory.EnumerateFileSystemEntries(sample.Scratch).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string> HostileArchives => new()
    {
        { "dot-dot", "'../escaped.txt' has a '..' segment" },
        { "absolute", "has an absolute or empty name" },
        { "through-link", "would be written through the link or file of that name" },
        { "onto-link", "appears twice" },
        { "hard-link", "is a HardLink" },
    };

    /// <summary>Archives an attacker could plant: each is refused, nothing is written outside, the destination is not created.</summary>
    [Theory]
    [MemberData(nameof(HostileArchives))]
    public async Task Restore_HostileArchive_IsRefused_AndNothingIsWrittenOutside(string kind, string expected)
    {
        using var sample = FileTreeSample.Create();
        string destination = sample.NewPath("restored");
        string outsideFile = Path.Combine(sample.Outside, "secret.txt");
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            void File(string name, string text) =>
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) });

            File("fine.txt", "ok");
            switch (kind)
            {
                case "dot-dot":
                    File("../escaped.txt", "x");
                    break;
                case "absolute":
                    File(Path.Combine(sample.Outside, "absolute.txt"), "x");
                    break;
                case "through-link":
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "a") { LinkName = sample.Outside });
                    File("a/planted.txt", "x");
                    break;
                case "onto-link":
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "b") { LinkName = outsideFile });
                    File("b", "overwritten");
                    break;
                case "hard-link":
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "h") { LinkName = outsideFile });
                    break;
            }
        }

        tar.Position = 0;

        var e = await Assert.ThrowsAsync<EngineException>(() => new FilesEngine().RestoreAsync(tar, destination, new RestoreOptions(Replace: false), None));

        Assert.Equal(FailureKind.Failed, e.Kind);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"restore into '{destination}' stopped, nothing kept", e.Message, StringComparison.Ordinal);
        Assert.Equal(["secret.txt"], Directory.EnumerateFileSystemEntries(sample.Outside).Select(Path.GetFileName));
        Assert.Equal("not part of the tree", System.IO.File.ReadAllText(outsideFile));
        Assert.False(System.IO.File.Exists(Path.Combine(sample.Scratch, "escaped.txt")));
        Assert.Equal(["outside", "source tree ✓"], Directory.EnumerateFileSystemEntries(sample.Scratch).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CheckStructure_ChangedFileInsideTheTar_NamesTheFile()
    {
        using var sample = FileTreeSample.Create();
        var engine = new FilesEngine();
        var stats = await engine.ReadStatsAsync(sample.Source, None);
        await using var tar = await DumpAsync(engine, sample.Source);
        byte[] bytes = tar.ToArray();
        int at = IndexOf(bytes, "{\"model\": \"mini\"}"u8.ToArray());
        bytes[at + 2] ^= 0x20; // "model" → "Model": same length, different hash

        var intact = await engine.CheckStructureAsync(new MemoryStream(tar.ToArray()), stats, None);
        var changed = await engine.CheckStructureAsync(new MemoryStream(bytes), stats, None);
        var truncated = await engine.CheckStructureAsync(new MemoryStream(tar.ToArray()[..(bytes.Length / 2)]), stats, None);

        Assert.True(intact.IsValid, intact.Detail);
        Assert.False(changed.IsValid);
        Assert.Contains("'config.json' has SHA-256", changed.Detail, StringComparison.Ordinal);
        Assert.False(truncated.IsValid);
    }

    [Fact]
    public async Task Dump_Fifo_IsSkippedWithAWarning_NotWaitedFor()
    {
        using var sample = FileTreeSample.Create();
        using (var mkfifo = Process.Start("mkfifo", [Path.Combine(sample.Source, "pipe")]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var result = await new FilesEngine().DumpAsync(sample.Source, Stream.Null, None);

        Assert.Equal(["'pipe' is not a regular file (a FIFO, socket or device) and is not in the backup"], result.Warnings);
        Assert.Equal(6, result.Stats.Counts["files"]);
    }

    [Fact]
    public async Task Dump_ReservedNameAtTheRoot_IsAConfigurationError_UnlessExcluded()
    {
        using var sample = FileTreeSample.Create();
        Directory.CreateDirectory(Path.Combine(sample.Source, ".backupfn"));

        var e = await Assert.ThrowsAsync<EngineException>(() => new FilesEngine().DumpAsync(sample.Source, Stream.Null, None));
        var excluded = await new FilesEngine(FileSetSettings.Everything with { Exclude = [".backupfn"] }).DumpAsync(sample.Source, Stream.Null, None);

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("add \".backupfn\" to the target's Exclude", e.Message, StringComparison.Ordinal);
        Assert.Equal(6, excluded.Stats.Counts["files"]);
    }

    [Fact]
    public async Task Dump_MissingOrRelativeDirectory_NamesTheFix()
    {
        using var sample = FileTreeSample.Create();

        var missing = await Assert.ThrowsAsync<EngineException>(() => new FilesEngine().DumpAsync(sample.NewPath("nope"), Stream.Null, None));
        var relative = Assert.Throws<EngineException>(() => new FilesEngine().Describe("srv/config"));

        Assert.Equal(FailureKind.NotFound, missing.Kind);
        Assert.Equal(FailureKind.Configuration, relative.Kind);
        Assert.Contains("is not an absolute path", relative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestoreTestScratch_ReReadsEveryFile_AndCountsOneChangedOnDiskAsDiffering_ThenIsRemoved()
    {
        using var sample = FileTreeSample.Create();
        var engine = new FilesEngine();
        var stats = await engine.ReadStatsAsync(sample.Source, None);
        await using var tar = await DumpAsync(engine, sample.Source);
        string parent = sample.NewPath("scratch parent");
        Directory.CreateDirectory(parent);

        SourceStats intact, changed;
        await using (var scratch = await engine.CreateScratchAsync(new ScratchRequest(sample.Source, parent, stats), None))
        {
            await scratch.RestoreAsync(tar, new RestoreOptions(Replace: false, ForTest: true), None);
            intact = await scratch.ReadStatsAsync(None);
            string restored = Directory.GetDirectories(parent).Single();
            File.AppendAllText(Path.Combine(restored, "tree", "config.json"), " ");
            changed = await scratch.ReadStatsAsync(None);
        }

        Assert.True(StatsComparison.Compare(stats.Counts, intact.Counts).Equal);
        Assert.Equal(1, changed.Counts["filesDiffering"]);
        Assert.Contains("filesDiffering: unexpected (1)", StatsComparison.Compare(stats.Counts, changed.Counts).Detail, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        throw new InvalidOperationException("not found");
    }
}
