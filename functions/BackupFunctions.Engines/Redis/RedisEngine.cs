using System.Globalization;
using BackupFunctions.Engines.Redis.Rdb;
using BackupFunctions.Engines.Redis.Resp;
using BackupFunctions.Streams;
using StackExchange.Redis;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Redis through StackExchange.Redis, and a small replication reader of our own for SYNC. Dumps by replication (an
/// RDB snapshot from SYNC, read as it streams and walked as it passes for exact per-database counts and the CRC64
/// check) or by keyspace (SCAN + DUMP + PTTL, for services that refuse SYNC); <c>auto</c> tries replication first.
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
        var endpoint = RedisEndpoint.Parse(connection);
        await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
        try
        {
            var info = await redis.InfoAsync("memory");
            return info.TryGetValue("used_memory_dataset", out string? v) && long.TryParse(v, CultureInfo.InvariantCulture, out long n) ? n : null;
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            throw RedisClient.Translate(endpoint, e, "reading INFO memory");
        }
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
            throw RedisClient.NotRedis(endpoint, e.Message, e); // from the replication reader
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
    /// <see cref="RespConnection.Connect"/>): it reads the payload, writes each chunk to the pipeline and walks the RDB
    /// as it passes, so the counts are those of the snapshot and a bad CRC64 or structure fails the backup.
    /// </summary>
    private static Task<DumpResult> ReplicationDumpAsync(RedisEndpoint endpoint, Stream destination, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => ReplicationDump(endpoint, destination, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static DumpResult ReplicationDump(RedisEndpoint endpoint, Stream destination, CancellationToken cancellationToken)
    {
        using var redis = RespConnection.Connect(endpoint);
        using var unblock = cancellationToken.Register(redis.Dispose); // a blocked read ends when the socket closes
        var payload = ReadingSnapshot(endpoint, () => RedisReplication.OpenSnapshot(redis), cancellationToken);
        var rdb = new RdbReader(new TeeStream(payload, destination, endpoint, cancellationToken));
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
            cancellationToken.ThrowIfCancellationRequested(); // a payload cut short by the cancellation is not a bad RDB
            throw new EngineException(FailureKind.Failed,
                $"the RDB from {endpoint.Description} cannot be read: {e.Message} (Strategy=keyspace avoids the RDB reader)", e);
        }

        cancellationToken.ThrowIfCancellationRequested();
        long? usedMemory = rdb.Aux.TryGetValue("used-mem", out string? mem) && long.TryParse(mem, CultureInfo.InvariantCulture, out long m) ? m : null;
        var stats = new SourceStats(StatsKind, counts.ToDictionary(), usedMemory);
        return new DumpResult(rdb.Aux.GetValueOrDefault("redis-ver", "unknown"), "redis-replication", $"SYNC; CRC64 {rdb.Checksum}", $"rdb-v{rdb.Version}", stats);
    }

    /// <summary>Everything read from the payload is first written to the pipeline (synchronously: this runs on its own thread).</summary>
    private sealed class TeeStream(Stream source, Stream copy, RedisEndpoint endpoint, CancellationToken cancellationToken) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = source.Read(buffer);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                throw Interrupted(endpoint, e, cancellationToken);
            }

            copy.Write(buffer[..n]);
            return n;
        }
    }

    /// <summary>Reads on the replication connection: a connection that drops there (the server restarted or died) is the server's transient failure.</summary>
    private static T ReadingSnapshot<T>(RedisEndpoint endpoint, Func<T> read, CancellationToken cancellationToken)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw Interrupted(endpoint, e, cancellationToken);
        }
    }

    /// <summary>
    /// A read on the replication connection that failed: after a cancellation it is the cancellation (cancelling
    /// closes the socket, and the blocked read then throws IOException or ObjectDisposedException); otherwise the
    /// connection dropped (the server restarted or died), the server's transient failure.
    /// </summary>
    private static Exception Interrupted(RedisEndpoint endpoint, Exception e, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? new OperationCanceledException("the Redis dump was cancelled", e, cancellationToken)
            : new EngineException(FailureKind.Unavailable,
                $"lost the connection to Redis at {endpoint.Address} during SYNC ({e.Message.Split('\n', 2)[0].Trim()}; did the server restart?)", e);

    private static async Task<DumpResult> KeyspaceDumpAsync(RedisEndpoint endpoint, Stream destination, string how, CancellationToken cancellationToken)
    {
        await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
        Dictionary<string, string> server, memory;
        RedisCounts counts;
        try
        {
            server = await redis.InfoAsync("server");
            memory = await redis.InfoAsync("memory");
            counts = await RedisKeyspace.DumpAsync(redis, destination, cancellationToken);
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            throw RedisClient.Translate(endpoint, e, "dumping the keyspace");
        }

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
        await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
        await RunAsync(new RedisRestorer(redis, options, _time), reader, cancellationToken);
    }

    /// <summary>Runs a restore; its failures become one-line <see cref="EngineException"/>s naming the destination.</summary>
    internal static async Task RunAsync(RedisRestorer restorer, IRedisDumpReader reader, CancellationToken cancellationToken)
    {
        var endpoint = restorer.Endpoint;
        string destination = restorer.Destination;
        try
        {
            await restorer.RunAsync(reader, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new EngineException(FailureKind.Failed, $"restore into {destination} stopped, nothing kept: {e.Message}", e);
        }
        catch (RedisServerException e)
        {
            throw new EngineException(FailureKind.Failed, $"restore into {destination} stopped, nothing kept: {RedisClient.Clean(endpoint, e.Message)}", e);
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            throw RedisClient.Translate(endpoint, e, "restoring");
        }
    }

    public IReadOnlyList<RestoreFilter> RestoreFilters => RedisSelection.Filters;

    public SourceStats? ExpectedAfterRestore(SourceStats backup, RestoreSelection selection) =>
        selection.IsEmpty ? backup : RedisSelection.Expected(backup, selection);

    /// <summary>Keys per database and type, for databases at or above the connection's defaultDatabase (named relative to it).</summary>
    public async Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(connection);
        await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
        try
        {
            var databases = (await redis.DatabasesAsync()).Where(d => d >= endpoint.Database).Select(d => (d, d - endpoint.Database));
            var counts = await RedisCounts.ReadAsync(redis, databases, cancellationToken);
            var memory = await redis.InfoAsync("memory");
            return new SourceStats(StatsKind, counts.ToDictionary(), long.TryParse(memory.GetValueOrDefault("used_memory"), CultureInfo.InvariantCulture, out long m) ? m : null);
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            throw RedisClient.Translate(endpoint, e, "counting keys");
        }
    }

    /// <summary>
    /// With RestoreTest, its database index (defaultDatabase) and every one above it, which must be empty; without,
    /// spare (empty) databases of the source instance itself. See <see cref="RedisScratch"/>.
    /// </summary>
    public Task<IScratchDatabase> CreateScratchAsync(ScratchRequest request, CancellationToken cancellationToken) =>
        request.RestoreTestConnection is { } restoreTest
            ? RedisScratch.EmptyInstanceAsync(this, restoreTest, cancellationToken)
            : RedisScratch.SpareDatabasesAsync(request.SourceConnection, RedisCounts.Databases(request.Backup.Counts), _time, cancellationToken);
}
