using System.Globalization;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Redis;

/// <summary>
/// A Redis target without RestoreTest: the restore test uses empty databases of the source instance itself (db i of
/// the backup → a spare db j), and leaves the source's own databases exactly as they were. Real redis-servers and Azurite.
/// </summary>
public class RedisSpareDatabaseTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static Task<RedisClient> ConnectAsync(string connection) => RedisClient.ConnectAsync(RedisEndpoint.Parse(connection), None);

    private static async Task SeedAsync(RedisClient redis, int db, int keys)
    {
        var r = redis.Database(db);
        var writes = Enumerable.Range(0, keys)
            .Select(i => r.ExecuteAsync("HSET", $"user:{i}", "name", $"user {i} of db {db}", "visits", i.ToString(CultureInfo.InvariantCulture)))
            .Append(r.ExecuteAsync("SET", $"counter-{db}", "42"))
            .Append(r.ExecuteAsync("RPUSH", $"queue-{db}", "a", "b", "c"))
            .ToList();
        await Task.WhenAll(writes);
    }

    /// <summary>Every key of <paramref name="db"/> with its DUMP, to compare a database before and after.</summary>
    private static async Task<SortedDictionary<string, string>> SnapshotAsync(RedisClient redis, int db)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in redis.Server.KeysAsync(db, pageSize: 1000))
        {
            result[(string)key!] = Convert.ToHexString((await redis.Database(db).KeyDumpAsync(key))!);
        }

        return result;
    }

    private static async Task<string> DatabasesAsync(RedisClient r) => string.Join(",", await r.DatabasesAsync());

    private static TargetOptions Target(RedisServerProcess server, string compression = "brotli") =>
        new() { Engine = "redis", Connection = server.Connection(), Compression = compression };

    [Theory]
    [InlineData(new[] { 0 }, "db 15 of the same instance", "(db 0 → db 15)")]
    [InlineData(new[] { 0, 3 }, "dbs 15, 14 of the same instance", "(db 0 → db 15, db 3 → db 14)")]
    public async Task RestoreTest_WithoutRestoreTest_RestoresIntoSpareDatabases_FlushesThem_AndLeavesTheSourceAsItWas(int[] sourceDbs, string scratch, string mapping)
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        foreach (int db in sourceDbs)
        {
            await SeedAsync(r, db, 300 + db);
        }

        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = Target(server) });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None);
        var before = await Task.WhenAll(sourceDbs.Select(db => SnapshotAsync(r, db)));

        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);

        Assert.True(test.Passed, test.Detail);
        Assert.StartsWith($"restored into scratch {scratch} 127.0.0.1:{server.Port} {mapping}: ", test.Detail, StringComparison.Ordinal);
        Assert.Contains("counts match", test.Detail, StringComparison.Ordinal);
        Assert.Equal(string.Join(",", sourceDbs), await DatabasesAsync(r)); // the scratch dbs were flushed, nothing else holds keys
        var after = await Task.WhenAll(sourceDbs.Select(db => SnapshotAsync(r, db)));
        for (int i = 0; i < sourceDbs.Length; i++)
        {
            Assert.Equal(302 + sourceDbs[i], after[i].Count);
            Assert.Equal(before[i], after[i]);
        }
    }

    [Fact]
    public async Task RestoreTest_WithoutRestoreTest_AndNoSpareDatabase_FailsInOneLineNamingTheFix()
    {
        await using var server = await RedisServerProcess.StartAsync(null, "--databases", "2");
        await using var r = await ConnectAsync(server.Connection());
        await SeedAsync(r, 0, 10);
        await SeedAsync(r, 1, 10);
        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = Target(server) });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None);

        var error = await Assert.ThrowsAsync<EngineException>(() => vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None));

        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.EndsWith($": no room for a restore test on 127.0.0.1:{server.Port}: it needs 2 empty databases beside db 0, db 1, and 0 of its 2 are free "
            + "(set Targets:*:RestoreTest:Connection to a scratch instance, or raise 'databases' in redis.conf)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal("0,1", await DatabasesAsync(r));
    }

    [Fact]
    public async Task RestoreTest_OfACorruptedBackup_FailsAfterWritingKeys_AndStillFlushesTheSpareDatabase()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        var random = new Random(12);
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
        {
            var value = new byte[1000]; // random: stored as it is in the RDB, so the flip below lands inside a value
            random.NextBytes(value);
            return r.Database(0).ExecuteAsync("SET", $"blob:{i}", value);
        }));
        await using var vault = await TestVault.CreateAsync(new() { ["cache"] = Target(server, compression: "none") });
        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None);
        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var blob = vault.Container.GetBlobClient((await vault.Runtime.Vault.ReadManifestAsync(id, None))!.Blobs.Data);
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 1; // half the keys are restored before the RDB's CRC64 fails at its end
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
        var before = await SnapshotAsync(r, 0);

        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);

        Assert.False(test.Passed);
        Assert.Contains($"restore into spare dbs of 127.0.0.1:{server.Port} stopped, nothing kept", test.Detail, StringComparison.Ordinal);
        Assert.Contains("CRC64", test.Detail, StringComparison.Ordinal);
        Assert.Equal("0", await DatabasesAsync(r));
        Assert.Equal(before, await SnapshotAsync(r, 0));
    }

    /// <summary>A dump of db 0 (2000 keys) and db 5, and the scratch for a manifest that lists only <paramref name="listed"/>.</summary>
    private static async Task<(byte[] Dump, IScratchDatabase Scratch)> DumpAndScratchAsync(RedisServerProcess server, RedisClient r, params int[] listed)
    {
        await SeedAsync(r, 0, 2000);
        await SeedAsync(r, 5, 3);
        var engine = new RedisEngine(RedisEngine.Keyspace);
        using var dump = new MemoryStream();
        var result = await engine.DumpAsync(server.Connection(), dump, None);
        var counts = result.Stats.Counts.Where(c => listed.Any(db => c.Key == $"db{db}" || c.Key.StartsWith($"db{db}/", StringComparison.Ordinal))).ToDictionary();
        var scratch = await engine.CreateScratchAsync(new ScratchRequest(server.Connection(), null, result.Stats with { Counts = counts }), None);
        return (dump.ToArray(), scratch);
    }

    [Fact]
    public async Task SpareDatabases_ABackupDatabaseTheManifestDoesNotList_FailsTheTest_AndFlushesWhatWasWritten()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        var (dump, scratch) = await DumpAndScratchAsync(server, r, 0);
        var before = await SnapshotAsync(r, 0);
        EngineException error;
        await using (scratch)
        {
            error = await Assert.ThrowsAsync<EngineException>(() => scratch.RestoreAsync(new MemoryStream(dump), new RestoreOptions(false, ForTest: true), None));
            Assert.Equal("0,5", await DatabasesAsync(r)); // db 0 of the dump went into db 15, and was flushed again
        }

        Assert.Equal(FailureKind.Failed, error.Kind);
        Assert.Equal("the backup holds db 5, which its manifest does not list: stopped, nothing kept", error.Message);
        Assert.Equal($"db 15 of the same instance 127.0.0.1:{server.Port} (db 0 → db 15)", scratch.Description);
        Assert.Equal("0,5", await DatabasesAsync(r));
        Assert.Equal(before, await SnapshotAsync(r, 0));
    }

    [Fact]
    public async Task SpareDatabases_FilledByAnotherClientBeforeTheRestore_StopTheTest_AndKeepThatClientsKeys()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        var (dump, scratch) = await DumpAndScratchAsync(server, r, 0, 5);
        EngineException error;
        await using (scratch)
        {
            await r.Database(14).ExecuteAsync("SET", "not-ours", "keep me"); // db 5 → db 14 was chosen, then someone wrote there
            error = await Assert.ThrowsAsync<EngineException>(() => scratch.RestoreAsync(new MemoryStream(dump), new RestoreOptions(false, ForTest: true), None));
        }

        Assert.Equal(FailureKind.Refused, error.Kind);
        Assert.StartsWith($"spare db 14 on 127.0.0.1:{server.Port} received keys from another client before the restore test reached it", error.Message, StringComparison.Ordinal);
        Assert.Equal("0,5,14", await DatabasesAsync(r)); // db 15 (from db 0) flushed; db 14 untouched
        Assert.Equal("keep me", (string?)await r.Database(14).ExecuteAsync("GET", "not-ours"));
    }

    [Fact]
    public async Task SpareDatabases_ACancelledRestore_IsFlushed()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var r = await ConnectAsync(server.Connection());
        var (dump, scratch) = await DumpAndScratchAsync(server, r, 0, 5);
        using var cancel = new CancellationTokenSource();
        await using (scratch)
        {
            var input = new CancellingStream(new MemoryStream(dump), dump.Length / 2, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scratch.RestoreAsync(input, new RestoreOptions(false, ForTest: true), cancel.Token));
        }

        Assert.Equal("0,5", await DatabasesAsync(r));
        Assert.Equal(2002, await r.Server.DatabaseSizeAsync(0));
    }

    [Fact]
    public async Task SpareDatabases_WithoutConfig_CountTheDatabasesWithSelect_AndWithoutEitherSayWhy()
    {
        await using var renamed = await RedisServerProcess.StartAsync(null, "--databases", "5", "--rename-command", "CONFIG", "");
        await using var acl = await RedisServerProcess.StartAsync("admin-pw", "--databases", "3");
        await using (var admin = await ConnectAsync(acl.Connection("admin-pw")))
        {
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "noconfig", "on", ">pw", "~*", "+@all", "-config");
            await admin.Database(0).ExecuteAsync("ACL", "SETUSER", "noselect", "on", ">pw", "~*", "+@all", "-config", "-select");
            await admin.Database(0).ExecuteAsync("SET", "k", "v");
        }

        await using (var r = await ConnectAsync(renamed.Connection()))
        {
            await r.Database(0).ExecuteAsync("SET", "k", "v");
        }

        var stats = new SourceStats(RedisEngine.StatsKind, new Dictionary<string, long> { ["db0"] = 1, ["db0/string"] = 1 }, null);
        var engine = new RedisEngine();
        await using var probed = await engine.CreateScratchAsync(new ScratchRequest(renamed.Connection(), null, stats), None);
        await using var aclProbed = await engine.CreateScratchAsync(new ScratchRequest($"127.0.0.1:{acl.Port},user=noconfig,password=pw", null, stats), None);
        var refused = await Assert.ThrowsAsync<EngineException>(() => engine.CreateScratchAsync(new ScratchRequest($"127.0.0.1:{acl.Port},user=noselect,password=pw", null, stats), None));

        Assert.Equal($"db 4 of the same instance 127.0.0.1:{renamed.Port} (db 0 → db 4)", probed.Description);
        Assert.Equal($"db 2 of the same instance 127.0.0.1:{acl.Port} (db 0 → db 2)", aclProbed.Description);
        Assert.Equal(FailureKind.Authentication, refused.Kind);
        Assert.StartsWith($"Redis at 127.0.0.1:{acl.Port} refused both CONFIG GET databases (NOPERM", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("(grant the user +config|get or +select)", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
    }

    /// <summary>Cancels <paramref name="cancel"/> once <paramref name="after"/> bytes were read.</summary>
    private sealed class CancellingStream(Stream inner, long after, CancellationTokenSource cancel) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, Math.Min(count, 4096));
            _read += n;
            if (_read >= after)
            {
                cancel.Cancel();
            }

            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
