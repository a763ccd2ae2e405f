using BackupFunctions.Engines;
using BackupFunctions.Engines.Sqlite;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>
/// The engine's temporary copies (backup, verify, restore test) and a restore's staging file are deleted on
/// success, failure and cancellation alike; each case first proves the temporary file existed.
/// </summary>
public class SqliteTempCleanupTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static (SqliteTestFolder Folder, SqliteEngine Engine, string Source) Setup()
    {
        var folder = new SqliteTestFolder();
        string source = folder.PathOf("app.db");
        SqliteRichDatabase.Create(source, "wal", customers: 20);
        return (folder, new SqliteEngine(folder.Temp), SqliteTestFolder.Connection(source));
    }

    /// <summary>A stored copy as verify and restore read it back (uncompressed), with its stats.</summary>
    private static async Task<(byte[] Bytes, SourceStats Stats)> DumpedAsync(SqliteEngine engine, string source)
    {
        using var dumped = new MemoryStream();
        var stats = (await engine.DumpAsync(source, dumped, None)).Stats;
        return (dumped.ToArray(), stats);
    }

    [Fact]
    public async Task Dump_Succeeds_TempCopyDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        var sink = new ObservingStream(folder);

        var dump = await engine.DumpAsync(source, sink, None);

        Assert.True(sink.SawTempCopy);
        Assert.Equal(20, dump.Stats.Counts["customers"]);
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task Dump_DestinationFails_TempCopyDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        var sink = new ObservingStream(folder, failAfter: 1024 * 1024);

        var error = await Assert.ThrowsAsync<IOException>(() => engine.DumpAsync(source, sink, None));

        Assert.Equal("upload failed (test)", error.Message);
        Assert.True(sink.SawTempCopy);
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task Dump_Cancelled_TempCopyDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        using var cancel = new CancellationTokenSource();
        var sink = new ObservingStream(folder, cancelAfter: 1024 * 1024, cancel: cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.DumpAsync(source, sink, cancel.Token));

        Assert.True(sink.SawTempCopy);
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task Dump_CancelledOnceTheCopyExists_TempCopyDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        using var cancel = new CancellationTokenSource();
        var dump = engine.DumpAsync(source, Stream.Null, cancel.Token);
        // A bounded poll on the evidence: the copy has begun (during the copy's steps, or later at the latest).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Directory.EnumerateFiles(folder.Temp, "copy.db", SearchOption.AllDirectories).Any() && !dump.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "no temporary copy appeared in 60 s");
            await Task.Delay(1);
        }

        await cancel.CancelAsync();
        var thrown = await Record.ExceptionAsync(() => dump);

        Assert.True(thrown is null or OperationCanceledException, $"a cancelled dump ends as a cancellation (or had finished): {thrown}");
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task CheckStructure_Cancelled_SpooledCopyDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        var (bytes, stats) = await DumpedAsync(engine, source);
        using var cancel = new CancellationTokenSource();
        var stored = new ObservingStream(folder, bytes, cancelAfter: 1024 * 1024, cancel: cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.CheckStructureAsync(stored, stats, cancel.Token));

        Assert.True(stored.SawTempCopy);
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task CheckStructure_CountsDifferFromTheManifest_IsInvalid_AndSpooledCopyDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        var (bytes, stats) = await DumpedAsync(engine, source);
        var wrong = new SourceStats(stats.Kind, new Dictionary<string, long>(stats.Counts) { ["customers"] = 21 }, stats.SizeBytes);

        var check = await engine.CheckStructureAsync(new MemoryStream(bytes), wrong, None);

        Assert.False(check.IsValid);
        Assert.Contains("customers: 20 (manifest 21)", check.Detail, StringComparison.Ordinal);
        Assert.Empty(folder.TempLeftovers());
    }

    [Fact]
    public async Task Restore_Cancelled_StagingFileDeleted_AndNoDestination()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        var (bytes, _) = await DumpedAsync(engine, source);
        using var cancel = new CancellationTokenSource();
        var stored = new ObservingStream(folder, bytes, cancelAfter: 1024 * 1024, cancel: cancel, staging: true);
        string destination = folder.PathOf("restored.db");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            engine.RestoreAsync(stored, SqliteTestFolder.Connection(destination), new RestoreOptions(Replace: false), cancel.Token));

        Assert.True(stored.SawTempCopy);
        Assert.False(File.Exists(destination));
        Assert.Empty(Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*"));
    }

    [Fact]
    public async Task RestoreTestScratch_Disposed_ScratchFolderDeleted()
    {
        var (folder, engine, source) = Setup();
        using var _ = folder;
        var (bytes, stats) = await DumpedAsync(engine, source);

        await using (var scratch = await engine.CreateScratchAsync(new ScratchRequest(source, null, stats), None))
        {
            await scratch.RestoreAsync(new MemoryStream(bytes), new RestoreOptions(Replace: false, ForTest: true), None);
            Assert.Equal(stats.Counts, (await scratch.ReadStatsAsync(None)).Counts);
            Assert.StartsWith(folder.Temp, scratch.Description, StringComparison.Ordinal);
            Assert.True(File.Exists(scratch.Description));
        }

        Assert.Empty(folder.TempLeftovers());
    }

    /// <summary>
    /// A stream that records whether the engine's temporary file existed while data moved through it, and
    /// fails or cancels after some bytes: as the destination of a dump, or (given bytes) as a stored copy read back.
    /// </summary>
    private sealed class ObservingStream(SqliteTestFolder folder, byte[]? content = null, long failAfter = long.MaxValue,
        long cancelAfter = long.MaxValue, CancellationTokenSource? cancel = null, bool staging = false) : Stream
    {
        private readonly MemoryStream? _source = content is null ? null : new MemoryStream(content);
        private long _moved;

        public bool SawTempCopy { get; private set; }

        public override bool CanRead => _source is not null;
        public override bool CanWrite => _source is null;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Moved(count);

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = _source!.Read(buffer, offset, count);
            Moved(n);
            return n;
        }

        private void Moved(int count)
        {
            _moved += count;
            SawTempCopy |= staging
                ? Directory.EnumerateFiles(folder.Root, "*backupfn-restoring*").Any()
                : Directory.EnumerateFiles(folder.Temp, "*", SearchOption.AllDirectories).Any();
            if (_moved > failAfter)
            {
                throw new IOException("upload failed (test)");
            }

            if (_moved > cancelAfter)
            {
                cancel!.Cancel();
            }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
