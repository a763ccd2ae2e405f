using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using BackupFunctions.Engines.Redis.Rdb;
using BackupFunctions.Engines.Redis.Resp;

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

    /// <summary>
    /// Dumps every non-empty database; returns the keys written per database and type. Frames are
    /// built in one buffer and written once per pipelined batch.
    /// </summary>
    public static async Task<RedisCounts> DumpAsync(RespConnection redis, Stream output, CancellationToken cancellationToken)
    {
        var counts = new RedisCounts();
        var frames = new ArrayBufferWriter<byte>(1 << 20);
        frames.Write(Magic);
        foreach (int db in await DatabasesAsync(redis, cancellationToken))
        {
            await redis.CallAsync(cancellationToken, "SELECT", db.ToString(CultureInfo.InvariantCulture));
            Frame(frames, (byte)'D', (uint)db);
            string cursor = "0";
            do
            {
                var scan = await redis.CallAsync(cancellationToken, "SCAN", cursor, "COUNT", "1000");
                cursor = scan.Items![0].Text!;
                var keys = scan.Items[1].Items!.Select(k => k.Bytes!).ToList();
                foreach (var batch in keys.Chunk(Batch))
                {
                    long now = await ServerMillisecondsAsync(redis, cancellationToken); // TTLs become absolute on the server's clock
                    foreach (byte[] key in batch)
                    {
                        redis.Send("DUMP", key);
                        redis.Send("PTTL", key);
                    }

                    await redis.FlushAsync(cancellationToken);
                    foreach (var (key, payload, pttl) in await ReadBatchAsync(redis, batch, cancellationToken))
                    {
                        if (payload is null)
                        {
                            continue; // expired or deleted between SCAN and DUMP
                        }

                        Frame(frames, (byte)'K', (uint)key.Length);
                        frames.Write(key);
                        BinaryPrimitives.WriteUInt32BigEndian(frames.GetSpan(4), (uint)payload.Length);
                        frames.Advance(4);
                        frames.Write(payload);
                        BinaryPrimitives.WriteInt64BigEndian(frames.GetSpan(8), pttl < 0 ? -1 : now + pttl);
                        frames.Advance(8);
                        counts.Add(db, payload[0]);
                    }

                    await output.WriteAsync(frames.WrittenMemory, cancellationToken);
                    frames.ResetWrittenCount();
                }
            }
            while (cursor != "0");
        }

        frames.Write([(byte)'E']);
        BinaryPrimitives.WriteUInt64BigEndian(frames.GetSpan(8), (ulong)counts.Total);
        frames.Advance(8);
        await output.WriteAsync(frames.WrittenMemory, cancellationToken);
        return counts;
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

    /// <summary>Databases that hold keys, from INFO keyspace ("db0:keys=3,expires=0,...").</summary>
    public static async Task<IReadOnlyList<int>> DatabasesAsync(RespConnection redis, CancellationToken cancellationToken) =>
        (await RedisEngine.InfoAsync(redis, "keyspace", cancellationToken)).Keys
            .Where(k => k.StartsWith("db", StringComparison.Ordinal))
            .Select(k => int.Parse(k.AsSpan(2), CultureInfo.InvariantCulture))
            .Order()
            .ToList();

    private static async Task<List<(byte[] Key, byte[]? Payload, long Pttl)>> ReadBatchAsync(RespConnection redis, byte[][] keys, CancellationToken cancellationToken)
    {
        var result = new List<(byte[], byte[]?, long)>(keys.Length);
        foreach (byte[] key in keys)
        {
            var dump = await redis.ReadAsync(cancellationToken);
            var pttl = await redis.ReadAsync(cancellationToken);
            if (dump.Kind == RespKind.Error)
            {
                throw new RespErrorException(dump.Text ?? "DUMP failed");
            }

            result.Add((key, dump.Bytes, pttl.Number));
        }

        return result;
    }

    /// <summary>The server's clock in milliseconds (TIME returns seconds and microseconds).</summary>
    private static async Task<long> ServerMillisecondsAsync(RespConnection redis, CancellationToken cancellationToken)
    {
        var time = await redis.CallAsync(cancellationToken, "TIME");
        long seconds = long.Parse(time.Items![0].Text!, CultureInfo.InvariantCulture);
        long micros = long.Parse(time.Items[1].Text!, CultureInfo.InvariantCulture);
        return (seconds * 1000) + (micros / 1000);
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
