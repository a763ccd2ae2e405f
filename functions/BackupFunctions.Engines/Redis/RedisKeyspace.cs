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

    /// <summary>Dumps every non-empty database; returns the keys written per database and type.</summary>
    public static async Task<RedisCounts> DumpAsync(RespConnection redis, Stream output, CancellationToken cancellationToken)
    {
        var counts = new RedisCounts();
        await output.WriteAsync(Magic.ToArray(), cancellationToken);
        foreach (int db in await DatabasesAsync(redis, cancellationToken))
        {
            await redis.CallAsync(cancellationToken, "SELECT", db.ToString(CultureInfo.InvariantCulture));
            await WriteAsync(output, [(byte)'D', .. U32(db)], cancellationToken);
            string cursor = "0";
            do
            {
                var scan = await redis.CallAsync(cancellationToken, "SCAN", cursor, "COUNT", "1000");
                cursor = scan.Items![0].Text!;
                var keys = scan.Items[1].Items!.Select(k => k.Bytes!).ToList();
                for (int i = 0; i < keys.Count; i += Batch)
                {
                    var batch = keys.Skip(i).Take(Batch).ToList();
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

                        long expireAt = pttl < 0 ? -1 : now + pttl;
                        await WriteAsync(output, [(byte)'K', .. U32(key.Length)], cancellationToken);
                        await WriteAsync(output, key, cancellationToken);
                        await WriteAsync(output, U32(payload.Length), cancellationToken);
                        await WriteAsync(output, payload, cancellationToken);
                        var exp = new byte[8];
                        BinaryPrimitives.WriteInt64BigEndian(exp, expireAt);
                        await WriteAsync(output, exp, cancellationToken);
                        counts.Add(db, payload[0]);
                    }
                }
            }
            while (cursor != "0");

        }

        var end = new byte[9];
        end[0] = (byte)'E';
        BinaryPrimitives.WriteUInt64BigEndian(end.AsSpan(1), (ulong)counts.Total);
        await WriteAsync(output, end, cancellationToken);
        return counts;
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
    public static async Task<IReadOnlyList<int>> DatabasesAsync(RespConnection redis, CancellationToken cancellationToken)
    {
        string info = (await redis.CallAsync(cancellationToken, "INFO", "keyspace")).Text ?? "";
        return info.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("db", StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal))
            .Select(l => int.Parse(l[2..l.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture))
            .Order()
            .ToList();
    }

    private static async Task<List<(byte[] Key, byte[]? Payload, long Pttl)>> ReadBatchAsync(RespConnection redis, List<byte[]> keys, CancellationToken cancellationToken)
    {
        var result = new List<(byte[], byte[]?, long)>(keys.Count);
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

    private static byte[] U32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value);
        return b;
    }

    private static Task WriteAsync(Stream output, byte[] bytes, CancellationToken cancellationToken) => output.WriteAsync(bytes, cancellationToken).AsTask();

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
