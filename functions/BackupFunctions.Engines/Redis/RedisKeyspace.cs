using System.Buffers;
using System.Buffers.Binary;
using BackupFunctions.Engines.Redis.Rdb;
using StackExchange.Redis;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// The "keyspace" strategy for servers that refuse SYNC (Azure Cache for Redis and other managed
/// services): per logical database, SCAN + pipelined DUMP and PTTL, written in a framed format that
/// restores with RESTORE ... REPLACE ABSTTL. Not point-in-time: keys are read as SCAN meets them.
/// <code>
/// "BFRK1\n"
/// 'D' db u32                                             a database section starts
/// 'K' keyLen u32, key, payloadLen u32, payload, expireAtMs i64 (-1: none)
/// 'E' keyCount u64                                       end of the dump
/// </code>
/// </summary>
public static class RedisKeyspace
{
    /// <summary>The manifest's format name for this framing.</summary>
    public const string Format = "redis-keyspace-v1";

    internal static ReadOnlySpan<byte> Magic => "BFRK1\n"u8;
    private const int Batch = 256;
    private const int ScanCount = 1000;

    /// <summary>
    /// Dumps every non-empty database; returns the keys written per database and type. SCAN pages come from
    /// <see cref="IServer.KeysAsync"/>; each batch of keys is one pipeline of TIME and DUMP + PTTL per key, sent while
    /// the previous batch's replies are still arriving; a batch's frames are built in one buffer and written at once.
    /// </summary>
    public static async Task<RedisCounts> DumpAsync(RedisClient redis, Stream output, CancellationToken cancellationToken)
    {
        var counts = new RedisCounts();
        var frames = new ArrayBufferWriter<byte>(1 << 20);
        frames.Write(Magic);
        var keys = new List<RedisKey>(Batch);
        PendingBatch? inFlight = null;
        foreach (int db in await redis.DatabasesAsync())
        {
            var database = redis.Database(db);
            Frame(frames, (byte)'D', (uint)db); // written with the database's first batch
            await foreach (var key in redis.Server.KeysAsync(db, pageSize: ScanCount).WithCancellation(cancellationToken))
            {
                keys.Add(key);
                if (keys.Count == Batch)
                {
                    var next = PendingBatch.Start(redis, database, keys);
                    keys = new List<RedisKey>(Batch);
                    if (inFlight is not null)
                    {
                        await inFlight.WriteAsync(frames, counts, output, cancellationToken);
                    }

                    inFlight = next;
                }
            }

            if (inFlight is not null)
            {
                await inFlight.WriteAsync(frames, counts, output, cancellationToken);
            }

            inFlight = null;
            if (keys.Count > 0)
            {
                await PendingBatch.Start(redis, database, keys).WriteAsync(frames, counts, output, cancellationToken);
                keys.Clear();
            }
        }

        frames.Write([(byte)'E']);
        BinaryPrimitives.WriteUInt64BigEndian(frames.GetSpan(8), (ulong)counts.Total);
        frames.Advance(8);
        await output.WriteAsync(frames.WrittenMemory, cancellationToken);
        return counts;
    }

    /// <summary>TIME, and DUMP + PTTL of each key, sent; awaited by <see cref="WriteAsync"/>.</summary>
    private sealed class PendingBatch
    {
        private readonly IDatabase _database;
        private readonly List<RedisKey> _keys;
        private readonly Task<long> _clock;
        private readonly Task<byte[]?>[] _dumps;
        private readonly Task<TimeSpan?>[] _ttls;

        private PendingBatch(RedisClient redis, IDatabase database, List<RedisKey> keys)
        {
            _database = database;
            _keys = keys;
            _clock = redis.ServerMillisecondsAsync(); // TTLs become absolute on the server's clock
            _dumps = new Task<byte[]?>[keys.Count];
            _ttls = new Task<TimeSpan?>[keys.Count];
            for (int i = 0; i < keys.Count; i++)
            {
                _dumps[i] = database.KeyDumpAsync(keys[i]);
                _ttls[i] = database.KeyTimeToLiveAsync(keys[i]); // PTTL; null: no expiry (or the key is gone)
            }
        }

        public static PendingBatch Start(RedisClient redis, IDatabase database, List<RedisKey> keys) => new(redis, database, keys);

        /// <summary>Awaits every reply (the first failure is thrown once all are in), frames the keys and writes them.</summary>
        public async Task WriteAsync(ArrayBufferWriter<byte> frames, RedisCounts counts, Stream output, CancellationToken cancellationToken)
        {
            await Task.WhenAll(Task.WhenAll(_dumps), Task.WhenAll(_ttls), _clock);
            long now = await _clock;
            for (int i = 0; i < _keys.Count; i++)
            {
                byte[]? payload = await _dumps[i];
                var ttl = await _ttls[i];
                if (payload is null)
                {
                    continue; // expired or deleted between SCAN and DUMP
                }

                byte[] key = (byte[]?)_keys[i] ?? [];
                Frame(frames, (byte)'K', (uint)key.Length);
                frames.Write(key);
                BinaryPrimitives.WriteUInt32BigEndian(frames.GetSpan(4), (uint)payload.Length);
                frames.Advance(4);
                frames.Write(payload);
                BinaryPrimitives.WriteInt64BigEndian(frames.GetSpan(8), ttl is { } t ? now + (long)t.TotalMilliseconds : -1);
                frames.Advance(8);
                counts.Add(_database.Database, payload[0]);
            }

            await output.WriteAsync(frames.WrittenMemory, cancellationToken);
            frames.ResetWrittenCount();
        }
    }

    private static void Frame(ArrayBufferWriter<byte> frames, byte type, uint value)
    {
        var span = frames.GetSpan(5);
        span[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], value);
        frames.Advance(5);
    }

    /// <summary>
    /// Reads a keyspace dump (synchronously: run it on its own thread) as entries carrying their DUMP
    /// payloads; checks the end frame against the keys read. Malformed input throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static IEnumerable<RedisEntry> ReadEntries(Stream input)
    {
        var magic = new byte[6];
        if (!ReadExact(input, magic) || !magic.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a keyspace dump (bad header)");
        }

        int? db = null;
        long total = 0;
        var head = new byte[8];
        while (true)
        {
            if (!ReadExact(input, head.AsSpan(0, 1)))
            {
                throw new InvalidDataException("keyspace dump is truncated: no end frame");
            }

            switch ((char)head[0])
            {
                case 'D':
                    db = (int)ReadU32(input);
                    break;
                case 'K':
                    if (db is null)
                    {
                        throw new InvalidDataException("keyspace dump has a key before any database frame");
                    }

                    byte[] key = ReadBlock(input);
                    byte[] payload = ReadBlock(input);
                    if (payload.Length < 11 || !ReadExact(input, head))
                    {
                        throw new InvalidDataException("keyspace dump is truncated inside a key frame");
                    }

                    ulong crc = BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(payload.Length - 8));
                    if (crc != 0 && crc != Crc64Jones.Compute(payload.AsSpan(0, payload.Length - 8)))
                    {
                        throw new InvalidDataException($"the payload of key '{RedisTypes.Printable(key)}' in db {db} fails its CRC64");
                    }

                    total++;
                    yield return new RedisEntry(db.Value, key, payload[0], BinaryPrimitives.ReadInt64BigEndian(head), payload);
                    break;
                case 'E':
                    if (!ReadExact(input, head) || (long)BinaryPrimitives.ReadUInt64BigEndian(head) != total)
                    {
                        throw new InvalidDataException($"keyspace dump end frame does not match the {total} keys read");
                    }

                    yield break;
                default:
                    throw new InvalidDataException($"keyspace dump has an unknown frame type 0x{head[0]:x2}");
            }
        }
    }

    private static uint ReadU32(Stream input)
    {
        Span<byte> b = stackalloc byte[4];
        return ReadExact(input, b) ? BinaryPrimitives.ReadUInt32BigEndian(b) : throw new InvalidDataException("keyspace dump is truncated");
    }

    private static byte[] ReadBlock(Stream input)
    {
        uint length = ReadU32(input);
        if (length > 512 * 1024 * 1024)
        {
            throw new InvalidDataException($"keyspace dump frame claims {length} bytes (more than Redis allows)");
        }

        var block = new byte[length];
        return ReadExact(input, block) ? block : throw new InvalidDataException("keyspace dump is truncated inside a frame");
    }

    private static bool ReadExact(Stream input, Span<byte> buffer)
    {
        try
        {
            input.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }
}
