using System.Buffers.Binary;
using System.Globalization;
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
    private static ReadOnlySpan<byte> Magic => "BFRK1\n"u8;
    private const int Batch = 256;

    /// <summary>Dumps every non-empty database; returns the number of keys written per database ("db0" ...).</summary>
    public static async Task<IReadOnlyDictionary<string, long>> DumpAsync(RespConnection redis, Stream output, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await output.WriteAsync(Magic.ToArray(), cancellationToken);
        long total = 0;
        foreach (int db in await DatabasesAsync(redis, cancellationToken))
        {
            await redis.CallAsync(cancellationToken, "SELECT", db.ToString(CultureInfo.InvariantCulture));
            await WriteAsync(output, [(byte)'D', .. U32(db)], cancellationToken);
            long inDb = 0;
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
                        inDb++;
                    }
                }
            }
            while (cursor != "0");

            counts[$"db{db}"] = inDb;
            total += inDb;
        }

        var end = new byte[9];
        end[0] = (byte)'E';
        BinaryPrimitives.WriteUInt64BigEndian(end.AsSpan(1), (ulong)total);
        await WriteAsync(output, end, cancellationToken);
        return counts;
    }

    /// <summary>
    /// Restores a keyspace dump: database N goes to database <paramref name="databaseOffset"/> + N.
    /// Returns the keys restored per source database. Malformed input throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> RestoreAsync(Stream input, RespConnection redis, int databaseOffset, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var magic = new byte[6];
        if (!await ReadExactAsync(input, magic, cancellationToken) || !magic.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a keyspace dump (bad header)");
        }

        string? db = null;
        int pending = 0;
        long total = 0;
        var one = new byte[1];
        try
        {
            return await ReadFramesAsync();
        }
        catch (InvalidDataException)
        {
            await DrainAsync(redis, pending, cancellationToken); // keep the connection in step before reporting
            throw;
        }

        async Task<IReadOnlyDictionary<string, long>> ReadFramesAsync()
        {
        while (true)
        {
            if (!await ReadExactAsync(input, one, cancellationToken))
            {
                throw new InvalidDataException("keyspace dump is truncated: no end frame");
            }

            switch ((char)one[0])
            {
                case 'D':
                    pending = await DrainAsync(redis, pending, cancellationToken);
                    int n = (int)await ReadU32Async(input, cancellationToken);
                    db = $"db{n}";
                    counts[db] = 0;
                    await redis.CallAsync(cancellationToken, "SELECT", (n + databaseOffset).ToString(CultureInfo.InvariantCulture));
                    break;
                case 'K':
                    if (db is null)
                    {
                        throw new InvalidDataException("keyspace dump has a key before any database frame");
                    }

                    byte[] key = await ReadBlockAsync(input, cancellationToken);
                    byte[] payload = await ReadBlockAsync(input, cancellationToken);
                    var exp = new byte[8];
                    if (!await ReadExactAsync(input, exp, cancellationToken))
                    {
                        throw new InvalidDataException("keyspace dump is truncated inside a key frame");
                    }

                    long expireAt = BinaryPrimitives.ReadInt64BigEndian(exp);
                    redis.Send("RESTORE", key, (expireAt < 0 ? 0 : expireAt).ToString(CultureInfo.InvariantCulture), payload, "REPLACE", "ABSTTL");
                    counts[db]++;
                    total++;
                    if (++pending == Batch)
                    {
                        pending = await DrainAsync(redis, pending, cancellationToken);
                    }

                    break;
                case 'E':
                    await DrainAsync(redis, pending, cancellationToken);
                    var end = new byte[8];
                    if (!await ReadExactAsync(input, end, cancellationToken) || (long)BinaryPrimitives.ReadUInt64BigEndian(end) != total)
                    {
                        throw new InvalidDataException($"keyspace dump end frame does not match the {total} keys read");
                    }

                    return counts;
                default:
                    throw new InvalidDataException($"keyspace dump has an unknown frame type 0x{one[0]:x2}");
            }
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

    /// <summary>Reads every pending reply (so the connection stays in step), then reports the first error.</summary>
    private static async Task<int> DrainAsync(RespConnection redis, int pending, CancellationToken cancellationToken)
    {
        if (pending == 0)
        {
            return 0;
        }

        await redis.FlushAsync(cancellationToken);
        string? firstError = null;
        for (int i = 0; i < pending; i++)
        {
            var reply = await redis.ReadAsync(cancellationToken);
            if (reply.Kind == RespKind.Error)
            {
                firstError ??= reply.Text;
            }
        }

        return firstError is null ? 0 : throw new RespErrorException($"RESTORE failed: {firstError}");
    }

    private static byte[] U32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value);
        return b;
    }

    private static Task WriteAsync(Stream output, byte[] bytes, CancellationToken cancellationToken) => output.WriteAsync(bytes, cancellationToken).AsTask();

    private static async Task<uint> ReadU32Async(Stream input, CancellationToken cancellationToken)
    {
        var b = new byte[4];
        return await ReadExactAsync(input, b, cancellationToken)
            ? BinaryPrimitives.ReadUInt32BigEndian(b)
            : throw new InvalidDataException("keyspace dump is truncated");
    }

    private static async Task<byte[]> ReadBlockAsync(Stream input, CancellationToken cancellationToken)
    {
        uint length = await ReadU32Async(input, cancellationToken);
        if (length > 512 * 1024 * 1024)
        {
            throw new InvalidDataException($"keyspace dump frame claims {length} bytes (more than Redis allows)");
        }

        var block = new byte[length];
        return await ReadExactAsync(input, block, cancellationToken) ? block : throw new InvalidDataException("keyspace dump is truncated inside a frame");
    }

    private static async Task<bool> ReadExactAsync(Stream input, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await input.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
