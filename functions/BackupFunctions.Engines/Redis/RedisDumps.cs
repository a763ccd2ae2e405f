using BackupFunctions.Engines.Redis.Rdb;
using BackupFunctions.Streams;

namespace BackupFunctions.Engines.Redis;

/// <summary>Reads the keys of a Redis dump, in either format. Synchronous: run it on its own thread.</summary>
public interface IRedisDumpReader
{
    /// <summary>Every key; with <paramref name="payloads"/>, each with its DUMP payload. Throws <see cref="InvalidDataException"/> when malformed.</summary>
    IEnumerable<RedisEntry> Entries(bool payloads);

    /// <summary>What the end of the dump proved (e.g. ", CRC64 verified"), once <see cref="Entries"/> has been read through.</summary>
    string Detail { get; }
}

/// <summary>Tells the two dump formats apart by their first bytes.</summary>
public static class RedisDumps
{
    public static async Task<(IRedisDumpReader Reader, string Format)> OpenAsync(Stream dump, CancellationToken cancellationToken)
    {
        var head = new byte[6];
        int read = await dump.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        var input = new PrefixedStream(head.AsMemory(0, read), dump);
        if (head.AsSpan(0, read).StartsWith("REDIS"u8))
        {
            var rdb = new RdbReader(input);
            return (new RdbDump(rdb), "RDB");
        }

        return head.AsSpan(0, read).SequenceEqual(RedisKeyspace.Magic)
            ? (new KeyspaceDump(input), RedisKeyspace.Format)
            : throw new InvalidDataException("neither an RDB file nor a keyspace dump (unknown header)");
    }

    private sealed class RdbDump(RdbReader rdb) : IRedisDumpReader
    {
        public IEnumerable<RedisEntry> Entries(bool payloads) => rdb.Entries(payloads);

        public string Detail => $", RDB version {rdb.Version}, CRC64 {rdb.Checksum}" + (rdb.FunctionLibraries > 0 ? $", {rdb.FunctionLibraries} function libraries (not restored)" : "");
    }

    private sealed class KeyspaceDump(Stream input) : IRedisDumpReader
    {
        public IEnumerable<RedisEntry> Entries(bool payloads) => RedisKeyspace.ReadEntries(input);

        public string Detail => ", every payload CRC64 verified";
    }

    /// <summary>The peeked bytes, then the rest of the stream (read only).</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ReadOnlyStream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty)
            {
                return rest.Read(buffer);
            }

            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }
    }
}
