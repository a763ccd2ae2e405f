using System.Formats.Tar;
using System.Security.Cryptography;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Qdrant;

namespace BackupFunctions.IntegrationTests.Engines.Qdrant;

/// <summary>
/// The Qdrant engine end to end over REST. The round trip runs against the labelled fake server, or
/// against a real Qdrant when QDRANT_URL is set (scripts/qdrant-check.sh; QDRANT_API_KEY when the server
/// has one). The other tests need the fake: they inject failures a real server will not produce on demand.
/// </summary>
public class QdrantEngineTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private const string Key = "fake-qdrant-key-5c1e9a";

    private static QdrantEngine Engine(string? apiKey = Key, IReadOnlyList<string>? collections = null) =>
        new(collections, apiKey is null ? null : _ => Task.FromResult<string?>(apiKey));

    private static async Task<FakeQdrantServer> SeededAsync(int points = 50)
    {
        var fake = await FakeQdrantServer.StartAsync();
        fake.ApiKey = Key;
        using var rest = new QdrantRest(fake.Connection, Key);
        await rest.SeedAsync("", points);
        return fake;
    }

    private static async Task<(byte[] Dump, DumpResult Result)> DumpAsync(QdrantEngine engine, string connection)
    {
        using var dump = new MemoryStream();
        var result = await engine.DumpAsync(connection, dump, None);
        return (dump.ToArray(), result);
    }

    [Fact]
    [Trait("Category", "QdrantRoundTrip")]
    public async Task RoundTrip_RestoreTestReplaceAndRestore_KeepEveryPointAndVectorConfig_AndLeaveNoSnapshotOrScratch()
    {
        string? realUrl = Environment.GetEnvironmentVariable("QDRANT_URL");
        await using var fake = string.IsNullOrEmpty(realUrl) ? await FakeQdrantServer.StartAsync() : null;
        fake?.ApiKey = Key;
        string url = fake?.Connection ?? realUrl!;
        string? key = fake is null ? Environment.GetEnvironmentVariable("QDRANT_API_KEY") : Key;
        string prefix = $"qdrantcheck_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}_";
        string[] collections = [prefix + "docs", prefix + "images"];
        using var rest = new QdrantRest(url, key);
        await rest.SeedAsync(prefix, 300);
        string? seeded = fake is null ? null : QdrantTestData.Content(fake);
        var engine = Engine(key, collections);
        try
        {
            var (dump, result) = await DumpAsync(engine, url);
            var check = await engine.CheckStructureAsync(new MemoryStream(dump), result.Stats, None);
            SourceStats scratchStats;
            await using (var scratch = await engine.CreateScratchAsync(new ScratchRequest(url, null, result.Stats), None))
            {
                await scratch.RestoreAsync(new MemoryStream(dump), new RestoreOptions(false, ForTest: true), None);
                scratchStats = await scratch.ReadStatsAsync(None);
            }

            await engine.RestoreAsync(new MemoryStream(dump), url, new RestoreOptions(Replace: true), None);
            var replaced = await engine.ReadStatsAsync(url, None);
            foreach (string c in collections)
            {
                await rest.DeleteAsync(c);
            }

            await engine.RestoreAsync(new MemoryStream(dump), url, new RestoreOptions(Replace: false), None);
            var restored = await engine.ReadStatsAsync(url, None);

            Assert.True(check.IsValid, check.Detail);
            Assert.Equal(QdrantEngine.Format, result.Format);
            Assert.Empty(result.Warnings!);
            Assert.Equal(300, result.Stats.Counts[prefix + "docs"]);
            Assert.Equal(150, result.Stats.Counts[prefix + "images"]);
            Assert.Equal(4, result.Stats.Counts[prefix + "docs/vectors/Cosine"]);
            Assert.Equal(3, result.Stats.Counts[prefix + "images/vectors/clip/Dot"]);
            Assert.Equal(2, result.Stats.Counts[prefix + "images/vectors/text/Euclid"]);
            Assert.Equal(5, result.Stats.Counts.Count);
            Assert.Equal(result.Stats.Counts, scratchStats.Counts);
            Assert.Equal(result.Stats.Counts, replaced.Counts);
            Assert.Equal(result.Stats.Counts, restored.Counts);
            Assert.Empty(await rest.NamesAsync(QdrantCollections.ReservedPrefix)); // no scratch or staging collection left
            foreach (string c in collections)
            {
                Assert.Equal(0, await rest.SnapshotCountAsync(c)); // every server-side snapshot deleted
            }

            if (fake is not null)
            {
                Assert.Equal(seeded, QdrantTestData.Content(fake)); // every point, payload and vector, not only the counts
                Assert.Equal(fake.SnapshotsCreated, fake.SnapshotsDeleted);
                Assert.Equal(0, fake.SnapshotsLeft);
            }
        }
        finally
        {
            foreach (string c in await rest.NamesAsync(prefix))
            {
                await rest.DeleteAsync(c);
            }
        }
    }

    [Fact]
    public async Task Collections_OnlyTheNamedOnesAreBackedUp_AndAMissingOneIsNamed()
    {
        await using var fake = await SeededAsync();

        var (dump, result) = await DumpAsync(Engine(collections: ["images"]), fake.Connection);
        var stats = await Engine(collections: ["images"]).ReadStatsAsync(fake.Connection, None);
        var missing = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine(collections: ["docs", "nope"]), fake.Connection));

        Assert.Equal(["images", "images/vectors/clip/Dot", "images/vectors/text/Euclid"], result.Stats.Counts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(result.Stats.Counts, stats.Counts);
        Assert.Equal(["images.snapshot"], Entries(dump));
        Assert.Equal(FailureKind.NotFound, missing.Kind);
        Assert.Equal($"Qdrant at {fake.Uri.Host}:{fake.Uri.Port} has no collection 'nope' (check Collections; the server has: docs, images)", missing.Message);
        Assert.Equal(0, fake.SnapshotsLeft);
    }

    [Fact]
    public async Task AllCollections_LeaveOutTheEnginesOwnScratchAndStagingCollections()
    {
        await using var fake = await SeededAsync();
        fake.Collections["backupfn-restoretest-0a1b2c3d-docs"] = fake.Collections["docs"];

        var (dump, result) = await DumpAsync(Engine(), fake.Connection);

        Assert.Equal(["docs.snapshot", "images.snapshot"], Entries(dump));
        Assert.DoesNotContain(result.Stats.Counts.Keys, k => k.StartsWith("backupfn-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restore_ExistingCollection_IsRefusedWithoutReplace_LeavingTheDestinationAsItWas_AndReplacedWithReplace()
    {
        await using var source = await SeededAsync();
        var (dump, _) = await DumpAsync(Engine(), source.Connection);
        await using var destination = await FakeQdrantServer.StartAsync();
        destination.ApiKey = Key;
        using (var rest = new QdrantRest(destination.Connection, Key))
        {
            await rest.CreateAsync("images", new System.Text.Json.Nodes.JsonObject { ["size"] = 8, ["distance"] = "Dot" }, []);
        }

        string before = QdrantTestData.Content(destination);

        var refused = await Assert.ThrowsAsync<EngineException>(() => Engine().RestoreAsync(new MemoryStream(dump), destination.Connection, new RestoreOptions(false), None));
        string afterRefusal = QdrantTestData.Content(destination);
        await Engine().RestoreAsync(new MemoryStream(dump), destination.Connection, new RestoreOptions(Replace: true), None);

        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("collection 'images' already exists", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--replace", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, afterRefusal); // "docs", restored before "images" was met, was taken out again
        Assert.Equal(QdrantTestData.Content(source), QdrantTestData.Content(destination));
        Assert.Contains(destination.Requests, r => r.StartsWith("POST /collections/backupfn-staging-", StringComparison.Ordinal) && r.EndsWith("-images/snapshots/upload?priority=snapshot&wait=true", StringComparison.Ordinal));
        Assert.DoesNotContain(destination.Collections.Keys, k => k.StartsWith("backupfn-", StringComparison.Ordinal));
        Assert.Equal(0, destination.SnapshotsLeft);
    }

    [Fact]
    public async Task Restore_WithReplace_WhenVerifyBeforeSwapFails_LeavesEveryExistingCollectionUntouched()
    {
        await using var source = await SeededAsync();
        var (dump, _) = await DumpAsync(Engine(), source.Connection);
        source.Collections["images"].Points.Clear();
        string before = QdrantTestData.Content(source);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Engine().RestoreAsync(new MemoryStream(dump), source.Connection,
            new RestoreOptions(Replace: true, VerifyBeforeSwap: _ => throw new InvalidOperationException("checksum mismatch")), None));

        Assert.Equal(before, QdrantTestData.Content(source));
        Assert.DoesNotContain(source.Collections.Keys, k => k.StartsWith("backupfn-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RestoreTest_RestoresIntoPrefixedCollections_ThatAreDeletedAfterwards()
    {
        await using var fake = await SeededAsync();
        var engine = Engine();
        var (dump, result) = await DumpAsync(engine, fake.Connection);
        string source = QdrantTestData.Content(fake);
        string during;
        string description;
        SourceStats stats;

        await using (var scratch = await engine.CreateScratchAsync(new ScratchRequest(fake.Connection, null, result.Stats), None))
        {
            await scratch.RestoreAsync(new MemoryStream(dump), new RestoreOptions(false, ForTest: true), None);
            stats = await scratch.ReadStatsAsync(None);
            description = scratch.Description;
            string prefix = fake.Collections.Keys.Single(k => k.EndsWith("-docs", StringComparison.Ordinal) && k.StartsWith("backupfn-restoretest-", StringComparison.Ordinal))[..^"docs".Length];
            during = QdrantTestData.Content(fake, prefix);
        }

        Assert.Equal(source, during);
        Assert.Equal(result.Stats.Counts, stats.Counts);
        Assert.StartsWith($"{fake.Uri.Host}:{fake.Uri.Port} collections backupfn-restoretest-", description, StringComparison.Ordinal);
        Assert.Equal(["docs", "images"], fake.Collections.Keys.Order(StringComparer.Ordinal)); // scratch collections deleted
        Assert.Equal(source, QdrantTestData.Content(fake));
    }

    [Fact]
    public async Task Snapshot_IsDeleted_WhenTheDownloadBreaksOff()
    {
        await using var fake = await SeededAsync(2000);
        fake.AbortDownloadAfter = 70_000;

        var e = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine(), fake.Connection));

        Assert.Equal(FailureKind.Unavailable, e.Kind);
        Assert.Contains("of 'docs' from Qdrant at", e.Message, StringComparison.Ordinal);
        AssertEverySnapshotDeleted(fake, created: 1);
    }

    [Fact]
    public async Task Snapshot_IsDeleted_WhenTheServerFailsAfterCreatingIt()
    {
        await using var fake = await SeededAsync();
        int counts = 0;
        fake.FailWhen = request => request == "POST /collections/images/points/count" && ++counts == 2; // the count after the snapshot

        var e = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine(), fake.Connection));

        Assert.Equal(FailureKind.Failed, e.Kind);
        AssertEverySnapshotDeleted(fake, created: 2); // docs went through, images failed
    }

    [Fact]
    public async Task Snapshot_IsDeleted_WhenTheBackupIsCancelledMidDownload()
    {
        await using var fake = await SeededAsync(2000);
        fake.DownloadPause = TimeSpan.FromMilliseconds(50);
        using var cancel = new CancellationTokenSource();
        await using var destination = new CancelAfterBytesStream(cancel, 20_000);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine().DumpAsync(fake.Connection, destination, cancel.Token));

        AssertEverySnapshotDeleted(fake, created: 1);
    }

    [Fact]
    public async Task ApiKey_IsSentWithEveryRequest_AndAWrongOneIsAnAuthenticationErrorWithoutTheKey()
    {
        await using var fake = await SeededAsync();
        int seeding = fake.Requests.Count;

        await DumpAsync(Engine(), fake.Connection);
        var wrong = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine("wrong-key-0000"), fake.Connection));
        var none = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine(apiKey: null), fake.Connection));

        Assert.All(fake.ApiKeysSeen.Skip(seeding).Take(fake.ApiKeysSeen.Count - seeding - 2), k => Assert.Equal(Key, k));
        Assert.Equal(FailureKind.Authentication, wrong.Kind);
        Assert.Equal($"Qdrant at {fake.Uri.Host}:{fake.Uri.Port} refused to read the server version (HTTP 401: check ApiKey or ApiKeySecret; a read-only key cannot create or recover snapshots)", wrong.Message);
        Assert.DoesNotContain("wrong-key-0000", wrong.ToString(), StringComparison.Ordinal);
        Assert.Contains("none is set", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerError_IsAOneLineEngineException_NamingTheServerAndTheOperation()
    {
        await using var fake = await SeededAsync();
        fake.FailWhen = request => request == "POST /collections/docs/snapshots";

        var e = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine(), fake.Connection));

        Assert.Equal(FailureKind.Failed, e.Kind);
        Assert.Equal($"Qdrant at {fake.Uri.Host}:{fake.Uri.Port} could not create a snapshot of 'docs': HTTP 500 Service internal error: injected by the test second line of the server's message", e.Message);
        Assert.DoesNotContain(Key, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionRefused_IsUnavailable()
    {
        var fake = await FakeQdrantServer.StartAsync();
        string url = fake.Connection;
        await fake.DisposeAsync();

        var e = await Assert.ThrowsAsync<EngineException>(() => DumpAsync(Engine(), url));

        Assert.Equal(FailureKind.Unavailable, e.Kind);
        Assert.StartsWith("connection refused at 127.0.0.1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_FindsASnapshotThatIsNotATar_AMissingCollection_AndAnArchiveThatIsNotOne()
    {
        await using var fake = await SeededAsync();
        var (dump, result) = await DumpAsync(Engine(), fake.Connection);
        var engine = Engine();
        byte[] notATar = Archive(("docs.snapshot", RandomNumberGenerator.GetBytes(3000)), ("images.snapshot", FakeQdrantServer.SnapshotFile(fake.Collections["images"])));
        byte[] onlyImages = Archive(("images.snapshot", FakeQdrantServer.SnapshotFile(fake.Collections["images"])));

        var ok = await engine.CheckStructureAsync(new MemoryStream(dump), result.Stats, None);
        var garbage = await engine.CheckStructureAsync(new MemoryStream(notATar), result.Stats, None);
        var missing = await engine.CheckStructureAsync(new MemoryStream(onlyImages), result.Stats, None);
        var noArchive = await engine.CheckStructureAsync(new MemoryStream(RandomNumberGenerator.GetBytes(5000)), result.Stats, None);

        Assert.True(ok.IsValid, ok.Detail);
        Assert.Equal("backupfn-qdrant-v1: 2 collection snapshots as the manifest lists, each a tar read to its end (4 files)", ok.Detail);
        Assert.False(garbage.IsValid);
        Assert.False(missing.IsValid);
        Assert.Equal("backupfn-qdrant-v1: no snapshot of 'docs' the manifest lists", missing.Detail);
        Assert.False(noArchive.IsValid);
    }

    private static void AssertEverySnapshotDeleted(FakeQdrantServer fake, int created)
    {
        Assert.Equal(created, fake.SnapshotsCreated);
        Assert.Equal(created, fake.SnapshotsDeleted);
        Assert.Equal(0, fake.SnapshotsLeft);
    }

    private static List<string> Entries(byte[] dump)
    {
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(dump));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
        }

        return names;
    }

    private static byte[] Archive(params (string Name, byte[] Data)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A destination that cancels the backup once it has received some bytes: a cancellation mid-download, with no timing involved.</summary>
    private sealed class CancelAfterBytesStream(CancellationTokenSource cancel, long after) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _written += count;
            if (_written >= after)
            {
                cancel.Cancel();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write([], 0, buffer.Length);
            return ValueTask.CompletedTask;
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
