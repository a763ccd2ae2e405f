using System.Globalization;
using BackupFunctions.Engines.Redis.Rdb;
using BackupFunctions.Engines.Redis.Resp;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Redis through a RESP client of our own. Dumps by replication (an RDB snapshot from SYNC, read as
/// it streams and walked on a second thread for exact per-database counts and the CRC64 check) or by
/// keyspace (SCAN + DUMP + PTTL, for services that refuse SYNC); <c>auto</c> tries replication first.
/// Restores either format with RESTORE, database N of the dump going to database defaultDatabase + N
/// of the destination. See README.md in this folder.
/// </summary>
public sealed class RedisEngine : IDatabaseEngine
{
    public const string Auto = "auto";
    public const string Replication = "replication";
    public const string Keyspace = "keyspace";
    public const string StatsKind = "keysPerDatabase";

    /// <summary>The strategies a target may name.</summary>
    public static IReadOnlyList<string> Strategies { get; } = [Auto, Replication, Keyspace];

    private readonly string _strategy;
    private readonly TimeProvider _time;

    /// <param name="strategy">auto (default), replication or keyspace.</param>
    public RedisEngine(string? strategy = null, TimeProvider? time = null)
    {
        _strategy = string.IsNullOrWhiteSpace(strategy) ? Auto : strategy.Trim().ToLowerInvariant();
        _time = time ?? TimeProvider.System;
        if (!Strategies.Contains(_strategy))
        {
            throw new EngineException(FailureKind.Configuration, $"Redis strategy '{strategy}' is not known (use one of: {string.Join(", ", Strategies)})");
        }
    }

    public string Name => "redis";

    public string DataExtension => "redis";

    public string Describe(string connection) => RedisEndpoint.Parse(connection).Description;

    public async Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken)
    {
        await using var redis = await RespConnection.ConnectAsync(RedisEndpoint.Parse(connection), cancellationToken);
        var info = await InfoAsync(redis, "memory", cancellationToken);
        return info.TryGetValue("used_memory_dataset", out string? v) && long.TryParse(v, CultureInfo.InvariantCulture, out long n) ? n : null;
    }

    public async Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(connection);
        try
        {
            return await DumpWithStrategyAsync(endpoint, destination, cancellationToken);
        }
        catch (InvalidDataException e) when (e.Message.Contains("RESP", StringComparison.Ordinal))
        {
            throw new EngineException(FailureKind.Failed, $"{endpoint.Host}:{endpoint.Port} does not answer like a Redis server ({e.Message}); check the host and port", e);
        }
    }

    private async Task<DumpResult> DumpWithStrategyAsync(RedisEndpoint endpoint, Stream destination, CancellationToken cancellationToken)
    {
        if (_strategy != Keyspace)
        {
            try
            {
                return await ReplicationDumpAsync(endpoint, destination, cancellationToken);
            }
            catch (RedisSyncRefusedException e) when (_strategy == Auto)
            {
                return await KeyspaceDumpAsync(endpoint, destination, $"SCAN+DUMP (SYNC refused: {e.Message})", cancellationToken);
            }
            catch (RedisSyncRefusedException e)
            {
                throw new EngineException(FailureKind.Configuration,
                    $"Redis at {endpoint.Description} refused SYNC ({e.Message}): managed services need Strategy=keyspace (or auto)", e);
            }
        }

        return await KeyspaceDumpAsync(endpoint, destination, "SCAN+DUMP", cancellationToken);
    }

    /// <summary>
    /// The whole replication dump runs on one dedicated thread over a blocking socket (see
    /// <see cref="RespConnection.ConnectAsync"/>): it reads the payload, writes each chunk to the
    /// pipeline and walks the RDB as it passes, so the counts are those of the snapshot and a bad
    /// CRC64 or structure fails the backup.
    /// </summary>
    private static Task<DumpResult> ReplicationDumpAsync(RedisEndpoint endpoint, Stream destination, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => ReplicationDumpBlockingAsync(endpoint, destination, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private static async Task<DumpResult> ReplicationDumpBlockingAsync(RedisEndpoint endpoint, Stream destination, CancellationToken cancellationToken)
    {
        await using var redis = await RespConnection.ConnectAsync(endpoint, cancellationToken, blocking: true);
        await using var unblock = cancellationToken.Register(() => _ = redis.DisposeAsync().AsTask()); // a blocked read ends when the socket closes
        var payload = await RedisReplication.OpenSnapshotAsync(redis, cancellationToken);
        var rdb = new RdbReader(new TeeStream(payload, destination));
        var counts = new RedisCounts();
        try
        {
            foreach (var entry in rdb.Entries(payloads: false))
            {
                counts.Add(entry.Database, entry.Type);
            }
        }
        catch (InvalidDataException e)
        {
            throw new EngineException(FailureKind.Failed,
                $"the RDB from {endpoint.Description} cannot be read: {e.Message} (Strategy=keyspace avoids the RDB reader)", e);
        }

        cancellationToken.ThrowIfCancellationRequested();
        long? usedMemory = rdb.Aux.TryGetValue("used-mem", out string? mem) && long.TryParse(mem, CultureInfo.InvariantCulture, out long m) ? m : null;
        var stats = new SourceStats(StatsKind, counts.ToDictionary(), usedMemory);
        return new DumpResult(rdb.Aux.GetValueOrDefault("redis-ver", "unknown"), "redis-replication", $"SYNC; CRC64 {rdb.Checksum}", $"rdb-v{rdb.Version}", stats);
    }

    /// <summary>Everything read from the payload is first written to the pipeline (synchronously: this runs on its own thread).</summary>
    private sealed class TeeStream(Stream source, Stream copy) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer)
        {
            int n = source.Read(buffer);
            copy.Write(buffer[..n]);
            return n;
        }
    }

    private static async Task<DumpResult> KeyspaceDumpAsync(RedisEndpoint endpoint, Stream destination, string how, CancellationToken cancellationToken)
    {
        await using var redis = await RespConnection.ConnectAsync(endpoint, cancellationToken);
        var server = await InfoAsync(redis, "server", cancellationToken);
        var memory = await InfoAsync(redis, "memory", cancellationToken);
        var counts = await RedisKeyspace.DumpAsync(redis, destination, cancellationToken);
        long? usedMemory = long.TryParse(memory.GetValueOrDefault("used_memory"), CultureInfo.InvariantCulture, out long m) ? m : null;
        var stats = new SourceStats(StatsKind, counts.ToDictionary(), usedMemory);
        return new DumpResult(server.GetValueOrDefault("redis_version", "unknown"), "redis-keyspace", how, RedisKeyspace.Format, stats);
    }

    public async Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken)
    {
        var (reader, format) = await RedisDumps.OpenAsync(dump, cancellationToken);
        var counts = new RedisCounts();
        try
        {
            await Task.Factory.StartNew(() =>
            {
                foreach (var entry in reader.Entries(payloads: false))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    counts.Add(entry.Database, entry.Type);
                }
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (InvalidDataException e)
        {
            return new StructureCheck(false, $"{format}: {e.Message}");
        }

        var actual = counts.ToDictionary();
        var (equal, detail) = StatsComparison.Compare(expected.Counts, actual, "manifest");
        string databases = $"{counts.Total} keys in {actual.Keys.Count(k => !k.Contains('/', StringComparison.Ordinal))} database(s)";
        return new StructureCheck(equal, equal ? $"{format}: {databases}{reader.Detail}" : $"{format}: {detail}");
    }

    public async Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(destinationConnection);
        var (reader, _) = await RedisDumps.OpenAsync(dump, cancellationToken);
        await using var redis = await RespConnection.ConnectAsync(endpoint, cancellationToken);
        var restorer = new RedisRestorer(redis, options, _time);
        try
        {
            await restorer.RunAsync(reader, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new EngineException(FailureKind.Failed, $"restore into {endpoint.Description} stopped, nothing kept: {e.Message}", e);
        }
        catch (RespErrorException e)
        {
            throw new EngineException(FailureKind.Failed, $"restore into {endpoint.Description} stopped, nothing kept: {e.Message}", e);
        }
    }

    /// <summary>Keys per database and type, for databases at or above the connection's defaultDatabase (named relative to it).</summary>
    public async Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(connection);
        await using var redis = await RespConnection.ConnectAsync(endpoint, cancellationToken);
        var counts = new RedisCounts();
        foreach (int db in (await RedisKeyspace.DatabasesAsync(redis, cancellationToken)).Where(d => d >= endpoint.Database))
        {
            await redis.CallAsync(cancellationToken, "SELECT", db.ToString(CultureInfo.InvariantCulture));
            var seen = new HashSet<ulong>(); // SCAN may return a key twice; 64-bit checksums of the keys keep memory small
            string cursor = "0";
            do
            {
                var scan = await redis.CallAsync(cancellationToken, "SCAN", cursor, "COUNT", "1000");
                cursor = scan.Items![0].Text!;
                var keys = scan.Items[1].Items!.Select(k => k.Bytes!).Where(k => seen.Add(Crc64Jones.Compute(k))).ToList();
                foreach (byte[] key in keys)
                {
                    redis.Send("TYPE", key);
                }

                await redis.FlushAsync(cancellationToken);
                foreach (byte[] key in keys)
                {
                    string type = (await redis.ReadAsync(cancellationToken)).Text ?? "none";
                    if (type != "none")
                    {
                        counts.Add(db - endpoint.Database, type);
                    }
                }
            }
            while (cursor != "0");
        }

        var memory = await InfoAsync(redis, "memory", cancellationToken);
        return new SourceStats(StatsKind, counts.ToDictionary(), long.TryParse(memory.GetValueOrDefault("used_memory"), CultureInfo.InvariantCulture, out long m) ? m : null);
    }

    /// <summary>
    /// The restore-test destination is the configured database index (defaultDatabase) of the
    /// restore-test Redis, and every index above it; they must all be empty, and are flushed afterwards.
    /// </summary>
    public async Task<IScratchDatabase> CreateScratchAsync(string restoreTestConnection, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(restoreTestConnection);
        await using var redis = await RespConnection.ConnectAsync(endpoint, cancellationToken);
        var busy = (await RedisKeyspace.DatabasesAsync(redis, cancellationToken)).Where(d => d >= endpoint.Database).ToList();
        return busy.Count == 0
            ? new Scratch(restoreTestConnection, endpoint)
            : throw new EngineException(FailureKind.Refused,
                $"the restore-test Redis {endpoint.Description} holds keys in db {busy[0]}: restore tests need an empty instance, or an empty defaultDatabase= index with only empty ones above it (set Targets:*:RestoreTest:Connection)");
    }

    private sealed class Scratch(string connection, RedisEndpoint endpoint) : IScratchDatabase
    {
        public string Connection => connection;

        public string Description => $"{endpoint.Description}+";

        public async ValueTask DisposeAsync()
        {
            await using var redis = await RespConnection.ConnectAsync(endpoint, CancellationToken.None);
            foreach (int db in (await RedisKeyspace.DatabasesAsync(redis, CancellationToken.None)).Where(d => d >= endpoint.Database))
            {
                await redis.CallAsync(CancellationToken.None, "SELECT", db.ToString(CultureInfo.InvariantCulture));
                await redis.CallAsync(CancellationToken.None, "FLUSHDB");
            }
        }
    }

    internal static async Task<Dictionary<string, string>> InfoAsync(RespConnection redis, string section, CancellationToken cancellationToken)
    {
        string text = (await redis.CallAsync(cancellationToken, "INFO", section)).Text ?? "";
        return text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#' && l.Contains(':', StringComparison.Ordinal))
            .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }
}
