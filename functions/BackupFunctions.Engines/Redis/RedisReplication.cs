using System.Globalization;
using BackupFunctions.Engines.Redis.Resp;
using BackupFunctions.Streams;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// The "replication" strategy: what <c>redis-cli --rdb</c> does. On a connection of its own it
/// announces <c>REPLCONF capa eof</c> and <c>REPLCONF rdb-only 1</c> (older servers refuse them; that
/// is fine), sends <c>SYNC</c>, skips the newline keep-alives the server sends while it forks, and
/// returns the RDB payload as a stream, in either form: <c>$&lt;length&gt;</c>, or
/// <c>$EOF:&lt;40-byte mark&gt;</c> followed by the payload and the mark again (diskless).
/// </summary>
public static class RedisReplication
{
    internal const int MarkLength = 40;

    /// <summary>
    /// Starts the snapshot and returns its payload: a read-only stream that ends where the RDB ends. Blocking, like
    /// everything on <see cref="RespConnection"/>: call it and read the payload on a thread of its own. The connection
    /// is spent afterwards. Throws <see cref="RedisSyncRefusedException"/> when the server refuses SYNC.
    /// </summary>
    public static Stream OpenSnapshot(RespConnection redis)
    {
        foreach (string[] option in new[] { new[] { "capa", "eof" }, ["rdb-only", "1"] })
        {
            try
            {
                redis.Call(["REPLCONF", .. option]);
            }
            catch (RespErrorException)
            {
                // Older servers do not know rdb-only (or capa eof): they send a $<length> payload and then keep streaming, which is not read.
            }
        }

        redis.EndHandshake();
        redis.Send("SYNC");
        string line = redis.ReadLine(); // after the keep-alives (bare newlines) the server sends while it forks
        if (line.StartsWith("-LOADING", StringComparison.Ordinal))
        {
            // A server that has just started answers LOADING until its dataset is in memory: a wait, not a refusal.
            throw new EngineException(FailureKind.Unavailable,
                $"Redis at {redis.Endpoint.Description} is still loading its dataset into memory (it has just started); a later attempt will succeed");
        }

        if (line.StartsWith('-'))
        {
            throw new RedisSyncRefusedException(line[1..]);
        }

        if (line.StartsWith("$EOF:", StringComparison.Ordinal))
        {
            byte[] mark = System.Text.Encoding.ASCII.GetBytes(line[5..]);
            return mark.Length == MarkLength
                ? new MarkedPayload(redis, mark)
                : throw new InvalidDataException($"the EOF mark after SYNC has {mark.Length} bytes, not {MarkLength}");
        }

        return line.StartsWith('$') && long.TryParse(line.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out long length)
            ? new LengthPayload(redis, length)
            : throw new InvalidDataException($"unexpected reply to SYNC: '{(line.Length <= 60 ? line : line[..60] + "...")}'");
    }

    /// <summary>The <c>$&lt;length&gt;</c> form: exactly that many bytes.</summary>
    private sealed class LengthPayload(RespConnection redis, long length) : ReadOnlyStream
    {
        private readonly long _length = length;
        private long _left = length;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left == 0 || buffer.IsEmpty)
            {
                return 0;
            }

            int n = redis.ReadRaw(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (n == 0)
            {
                throw new EndOfStreamException($"Redis closed the connection after {_length - _left} of {_length} RDB bytes");
            }

            _left -= n;
            return n;
        }
    }

    /// <summary>The diskless form: everything before the trailing mark; the newest 40 bytes are held back until more arrive.</summary>
    private sealed class MarkedPayload(RespConnection redis, byte[] mark) : ReadOnlyStream
    {
        private readonly byte[] _window = new byte[MarkLength + (256 * 1024)];
        private int _start; // released bytes not yet returned: _window[_start.._released]
        private int _released;
        private int _size; // bytes in the window
        private bool _done;
        private long _total;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_start == _released)
            {
                if (_done)
                {
                    return 0;
                }

                Fill();
            }

            int n = Math.Min(buffer.Length, _released - _start);
            _window.AsSpan(_start, n).CopyTo(buffer);
            _start += n;
            return n;
        }

        private void Fill()
        {
            // Keep the held-back tail, read more after it.
            int held = _size - _released;
            Buffer.BlockCopy(_window, _released, _window, 0, held);
            _start = _released = 0;
            _size = held;
            int n = redis.ReadRaw(_window.AsSpan(_size));
            if (n == 0)
            {
                throw new EndOfStreamException($"Redis closed the connection after {_total} RDB bytes, before the end mark");
            }

            _size += n;
            _total += n;
            if (_size >= MarkLength && _window.AsSpan(_size - MarkLength, MarkLength).SequenceEqual(mark))
            {
                _done = true;
            }

            _released = Math.Max(0, _size - MarkLength);
        }
    }
}

/// <summary>SYNC was refused (managed services, ACLs): the keyspace strategy can still back the server up.</summary>
public sealed class RedisSyncRefusedException : Exception
{
    public RedisSyncRefusedException(string message) : base(message) { }

    public RedisSyncRefusedException() { }

    public RedisSyncRefusedException(string message, Exception inner) : base(message, inner) { }
}
