using System.Buffers.Binary;
using System.Threading.Channels;
using BackupFunctions.Engines.Redis.Rdb;
using StackExchange.Redis;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Replays a dump's keys as pipelined <c>RESTORE key ttl payload ABSTTL</c>. Dump database N goes to
/// destination database defaultDatabase + N.
/// <list type="bullet">
/// <item>Without replace, each destination database must be empty when the restore reaches it; on any
/// failure every database written so far is flushed again, so the destination is left as it was.</item>
/// <item>With replace, each database is restored into an empty staging database and swapped in with
/// <c>SWAPDB</c> only after the whole dump was read and its checksums matched; the old contents are
/// then flushed. A failure flushes only the staging databases.</item>
/// <item>A restore test restores keys whose TTL ends within ten minutes without a TTL, so that the
/// counts it compares cannot change under it, and compares a sample of values read back.</item>
/// <item>A restore test beside the source (no RestoreTest) gets <paramref name="spare"/>: dump database N goes to the
/// spare database spare[N], which must still be empty when the restore reaches it (another client may have written
/// there since it was chosen); a database the map does not name fails the restore.</item>
/// </list>
/// The dump is parsed on its own thread and handed over through a bounded channel. RESTOREs go out as asynchronous
/// StackExchange.Redis calls, up to <see cref="Window"/> of them awaiting their replies at any time (pipelined).
/// </summary>
internal sealed class RedisRestorer(RedisClient redis, RestoreOptions options, TimeProvider time, IReadOnlyDictionary<int, int>? spare = null)
{
    private const int Window = 1024;
    private const int SampleSize = 16;
    private const int SampleMaxBytes = 1 << 20;
    private static readonly TimeSpan TestTtlFloor = TimeSpan.FromMinutes(10);

    private readonly List<(int Destination, int WrittenTo)> _databases = [];
    private readonly List<RedisEntry> _sample = [];
    private readonly Queue<Task<RedisResult>> _pending = new(Window);
    private IDatabase? _database;
    private long _seen;

    public RedisEndpoint Endpoint => redis.Endpoint;

    /// <summary>Where the restore goes, for messages: host:port/defaultDatabase, or the spare databases of host:port.</summary>
    public string Destination => spare is null ? redis.Endpoint.Description : $"spare dbs of {redis.Endpoint.Address}";

    /// <summary>The databases this restore wrote into, so far (a failed restore has flushed them again).</summary>
    public IReadOnlyList<int> WrittenTo => _databases.Select(d => d.WrittenTo).ToList();

    public async Task RunAsync(IRedisDumpReader reader, CancellationToken cancellationToken)
    {
        int offset = redis.Endpoint.Database;
        int databases = spare is null ? await redis.DatabaseCountAsync(cancellationToken) : 0; // spare databases were chosen below the count
        var busy = (await redis.DatabasesAsync()).ToHashSet();
        var channel = Channel.CreateBounded<RedisEntry>(new BoundedChannelOptions(512) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Factory.StartNew(() => Produce(reader, channel.Writer, stop.Token), stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            int? source = null;
            long testTtlFloor = time.GetUtcNow().Add(TestTtlFloor).ToUnixTimeMilliseconds();
            var selection = options.Selected;
            await foreach (var entry in channel.Reader.ReadAllAsync(cancellationToken))
            {
                if (!RedisSelection.Selects(selection, entry))
                {
                    continue; // read for the checksums, not restored
                }

                if (entry.Database != source)
                {
                    await DrainAsync();
                    source = entry.Database;
                    await (spare is null
                        ? OpenDatabaseAsync(offset + entry.Database, databases, busy, cancellationToken)
                        : OpenSpareDatabaseAsync(spare, entry.Database, busy));
                }

                long ttl = entry.ExpireAtMs < 0 || (options.ForTest && entry.ExpireAtMs < testTtlFloor) ? 0 : entry.ExpireAtMs;
                _pending.Enqueue(_database!.ExecuteAsync("RESTORE", (RedisKey)entry.Key, ttl, entry.Payload!, "ABSTTL"));
                if (options.ForTest && entry.Payload!.Length <= SampleMaxBytes && (_seen++ % 997 == 0) && _sample.Count < SampleSize)
                {
                    _sample.Add(entry with { Database = _databases[^1].WrittenTo });
                }

                if (_pending.Count >= Window)
                {
                    await RetireOldestAsync();
                }
            }

            await producer; // its parse errors surface here
            await DrainAsync();
            if (options.VerifyBeforeSwap is not null)
            {
                await options.VerifyBeforeSwap(cancellationToken);
            }

            await CheckSampleAsync(cancellationToken);
            if (options.Replace)
            {
                await SwapInAsync(cancellationToken);
            }
        }
        catch
        {
            await stop.CancelAsync();
            await Task.WhenAny(producer); // let the parser thread stop before the stream goes away
            await RollBackAsync();
            throw;
        }
    }

    private static void Produce(IRedisDumpReader reader, ChannelWriter<RedisEntry> writer, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var entry in reader.Entries(payloads: true))
            {
                while (!writer.TryWrite(entry))
                {
                    if (!writer.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
                    {
                        return;
                    }
                }
            }

            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
            throw;
        }
    }

    private async Task OpenDatabaseAsync(int destination, int databases, HashSet<int> busy, CancellationToken cancellationToken)
    {
        if (destination >= databases)
        {
            throw new EngineException(FailureKind.Configuration,
                $"{redis.Endpoint.Address} has {databases} databases, but the dump needs db {destination} (lower defaultDatabase=)");
        }

        if (_databases.Any(d => d.WrittenTo == destination))
        {
            throw new EngineException(FailureKind.Refused, $"db {destination} is in use as a staging database for this restore: restore into a lower defaultDatabase=");
        }

        int writeTo = destination;
        if (busy.Contains(destination) && options.Selected?.Match is { } pattern)
        {
            // Restoring matching keys among others (or replacing only those) is not done: it could not be undone as one step.
            throw new EngineException(FailureKind.Refused,
                $"db {destination} on {redis.Endpoint.Address} is not empty: --match '{pattern}' restores only into an empty database (give --to-connection with an empty one, e.g. defaultDatabase=)");
        }

        if (busy.Contains(destination))
        {
            if (!options.Replace)
            {
                long keys = await redis.Server.DatabaseSizeAsync(destination);
                throw new EngineException(FailureKind.Refused,
                    $"db {destination} on {redis.Endpoint.Address} is not empty ({keys} keys): restore into an empty database, or pass --replace");
            }

            writeTo = Enumerable.Range(0, databases).Reverse().FirstOrDefault(d => d > destination && !busy.Contains(d) && _databases.All(x => x.WrittenTo != d), -1);
            if (writeTo < 0)
            {
                throw new EngineException(FailureKind.Refused,
                    $"--replace needs an empty database above db {destination} to stage the restore in, and {redis.Endpoint.Address} has none");
            }
        }

        if (await redis.Server.DatabaseSizeAsync(writeTo) != 0)
        {
            throw new EngineException(FailureKind.Refused, $"db {writeTo} received keys while the restore started: stopped, nothing restored there");
        }

        _databases.Add((destination, writeTo));
        busy.Add(writeTo);
        _database = redis.Database(writeTo);
    }

    /// <summary>Starts writing dump database <paramref name="source"/> into its spare database, if that is still empty.</summary>
    private async Task OpenSpareDatabaseAsync(IReadOnlyDictionary<int, int> map, int source, HashSet<int> busy)
    {
        if (!map.TryGetValue(source, out int writeTo))
        {
            throw new EngineException(FailureKind.Failed, $"the backup holds db {source}, which its manifest does not list: stopped, nothing kept");
        }

        if (busy.Contains(writeTo) || await redis.Server.DatabaseSizeAsync(writeTo) != 0)
        {
            throw new EngineException(FailureKind.Refused,
                $"spare db {writeTo} on {redis.Endpoint.Address} received keys from another client before the restore test reached it: stopped, nothing written there "
                + "(set Targets:*:RestoreTest:Connection to a scratch instance)");
        }

        _databases.Add((source, writeTo));
        busy.Add(writeTo);
        _database = redis.Database(writeTo);
    }

    /// <summary>Waits for the oldest pending RESTORE; when it failed, drains the others and reports it.</summary>
    private async Task RetireOldestAsync()
    {
        var oldest = _pending.Peek();
        await ((Task)oldest).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (oldest.IsFaulted)
        {
            await DrainAsync();
        }

        _ = _pending.Dequeue(); // completed, and observed
    }

    /// <summary>
    /// Awaits every pending RESTORE (each reply is observed, none is left in flight), then reports the first error.
    /// Not cancellable: a rollback must not flush while RESTOREs are still on their way.
    /// </summary>
    private async Task DrainAsync()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var pending = _pending.ToArray();
        _pending.Clear();
        try
        {
            await Task.WhenAll(pending);
        }
        catch (RedisServerException)
        {
            string? firstError = pending.Select(t => t.Exception?.InnerException).OfType<RedisServerException>().Select(e => e.Message).FirstOrDefault();
            throw new EngineException(FailureKind.Failed,
                $"restore into {Destination} stopped, nothing kept: RESTORE failed: {RedisClient.Clean(redis.Endpoint, firstError)}");
        }
    }

    /// <summary>
    /// Reads sampled keys back. A DUMP of the restored key must equal the backed-up payload when the
    /// server writes the same RDB version; hashtable sets and hashes may serialise in another order, so
    /// for those (and across versions) the type and element count must match.
    /// </summary>
    private async Task CheckSampleAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in _sample)
        {
            var database = redis.Database(entry.Database);
            byte[]? restored = await database.KeyDumpAsync(entry.Key).WaitAsync(cancellationToken);
            string where = $"key '{RedisTypes.Printable(entry.Key)}' (db {entry.Database})";
            if (restored is null)
            {
                throw new EngineException(FailureKind.Failed, $"{where} is missing after the restore");
            }

            byte[] payload = entry.Payload!;
            bool sameVersion = restored.Length >= 10 && restored.AsSpan(restored.Length - 10, 2).SequenceEqual(payload.AsSpan(payload.Length - 10, 2));
            bool unordered = entry.Type is 2 or 4;
            if (sameVersion && !unordered)
            {
                if (!restored.AsSpan(0, restored.Length - 10).SequenceEqual(payload.AsSpan(0, payload.Length - 10)))
                {
                    throw new EngineException(FailureKind.Failed, $"{where} reads back different from the backup");
                }

                continue;
            }

            string type = (string?)await database.ExecuteAsync("TYPE", (RedisKey)entry.Key) ?? "none";
            if (type != RedisTypes.Family(entry.Type))
            {
                throw new EngineException(FailureKind.Failed, $"{where} reads back as a {type}, not a {RedisTypes.Family(entry.Type)}");
            }

            if (unordered)
            {
                long expected = ElementCount(payload);
                long actual = entry.Type == 2 ? await database.SetLengthAsync(entry.Key) : await database.HashLengthAsync(entry.Key);
                if (expected != actual)
                {
                    throw new EngineException(FailureKind.Failed, $"{where} has {actual} elements after the restore, {expected} in the backup");
                }
            }
        }
    }

    /// <summary>The element count that starts a hashtable set or hash payload (RDB length encoding).</summary>
    private static long ElementCount(byte[] payload)
    {
        byte first = payload[1];
        return (first >> 6) switch
        {
            0 => first & 0x3F,
            1 => ((first & 0x3F) << 8) | payload[2],
            _ => first == 0x80 ? BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(2)) : (long)BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(2)),
        };
    }

    private async Task SwapInAsync(CancellationToken cancellationToken)
    {
        foreach (var (destination, staging) in _databases.Where(d => d.Destination != d.WrittenTo))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await redis.Server.SwapDatabasesAsync(staging, destination);
            await redis.Server.FlushDatabaseAsync(staging); // now holds the replaced contents, which the caller asked to drop
        }
    }

    /// <summary>Flushes every database this restore wrote into (each was empty before it, or is a swapped-out one).</summary>
    private async Task RollBackAsync()
    {
        try
        {
            await DrainAsync();
        }
        catch (EngineException)
        {
            // a RESTORE failed: the failure being reported already explains it
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            return; // the connection is gone: nothing can be flushed
        }

        foreach (var (_, written) in _databases)
        {
            await redis.Server.FlushDatabaseAsync(written);
        }
    }
}
