using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace BackupFunctions.Engines.Redis.Resp;

/// <summary>
/// A minimal RESP2 client over one TCP (optionally TLS) connection: send commands (pipelined until
/// <see cref="FlushAsync"/>), read replies, and read raw bytes (for the RDB payload of SYNC). See
/// README.md in this folder for why it exists. Not thread-safe: one caller at a time.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);

    private RespConnection(Socket socket, Stream stream, RedisEndpoint endpoint)
    {
        _socket = socket;
        _stream = stream;
        Endpoint = endpoint;
    }

    public RedisEndpoint Endpoint { get; }

    /// <summary>
    /// Connects, authenticates (AUTH [user] password) and selects the database. Failures are one-line
    /// <see cref="EngineException"/>s. With <paramref name="blocking"/>, the socket never performs an
    /// asynchronous operation: every call then completes synchronously on the caller's thread (use a
    /// dedicated one). .NET emulates blocking reads on a socket once used asynchronously with an epoll
    /// wake-up per segment, which measured three times the CPU for the SYNC payload.
    /// </summary>
    public static async Task<RespConnection> ConnectAsync(RedisEndpoint endpoint, CancellationToken cancellationToken, bool blocking = false)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (blocking)
            {
                ConnectBlocking(socket, endpoint);
            }
            else
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(endpoint.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw TimedOut(endpoint);
                }
            }

            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (endpoint.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                var options = new SslClientAuthenticationOptions { TargetHost = endpoint.SslHost ?? endpoint.Host };
                if (blocking)
                {
                    ssl.AuthenticateAsClient(options);
                }
                else
                {
                    await ssl.AuthenticateAsClientAsync(options, cancellationToken);
                }

                stream = ssl;
            }

            var connection = new RespConnection(socket, blocking ? new BlockingStream(stream) : stream, endpoint);
            if (endpoint.Password is not null)
            {
                try
                {
                    if (endpoint.User is null)
                    {
                        await connection.CallAsync(cancellationToken, "AUTH", endpoint.Password);
                    }
                    else
                    {
                        await connection.CallAsync(cancellationToken, "AUTH", endpoint.User, endpoint.Password);
                    }
                }
                catch (RespErrorException e)
                {
                    await connection.DisposeAsync();
                    throw new EngineException(FailureKind.Authentication,
                        $"Redis at {endpoint.Host}:{endpoint.Port} refused the credentials{(endpoint.User is null ? "" : $" of user '{endpoint.User}'")} ({e.Code}; check password= and user=)", e);
                }
            }

            if (endpoint.Database != 0)
            {
                await connection.CallAsync(cancellationToken, "SELECT", endpoint.Database.ToString(CultureInfo.InvariantCulture));
            }

            return connection;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new EngineException(FailureKind.Unavailable,
                    $"connection refused at {endpoint.Host}:{endpoint.Port} (is Redis running and listening there?)", e),
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new EngineException(FailureKind.Configuration,
                    $"host '{endpoint.Host}' not found (check the Redis connection string)", e),
                SocketError.TimedOut => TimedOut(endpoint),
                _ => new EngineException(FailureKind.Unavailable, $"cannot reach Redis at {endpoint.Host}:{endpoint.Port}: {e.SocketErrorCode}", e),
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static EngineException TimedOut(RedisEndpoint endpoint) =>
        new(FailureKind.Unavailable, $"timed out connecting to Redis at {endpoint.Host}:{endpoint.Port} (is it reachable?)");

    /// <summary>
    /// A plain blocking connect, bounded by the endpoint's timeout through SO_SNDTIMEO (which Linux
    /// applies to connect). A non-blocking connect followed by a poll would hand the socket to .NET's
    /// asynchronous engine for good, which is what blocking mode avoids.
    /// </summary>
    private static void ConnectBlocking(Socket socket, RedisEndpoint endpoint)
    {
        var addresses = System.Net.Dns.GetHostAddresses(endpoint.Host);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
        socket.SendTimeout = (int)endpoint.ConnectTimeout.TotalMilliseconds;
        try
        {
            socket.Connect(address, endpoint.Port);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }

        socket.SendTimeout = 0;
    }

    /// <summary>Async calls answered by the sync ones, so that no asynchronous operation ever reaches the socket.</summary>
    private sealed class BlockingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(inner.Read(buffer.Span));
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            inner.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            inner.Flush();
            return Task.CompletedTask;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Queues one command (arguments are strings, as UTF-8, or raw byte arrays). Nothing is sent until <see cref="FlushAsync"/>.</summary>
    public void Send(params object[] arguments)
    {
        Append($"*{arguments.Length}\r\n");
        foreach (object argument in arguments)
        {
            byte[] bytes = argument switch
            {
                byte[] b => b,
                string s => Encoding.UTF8.GetBytes(s),
                _ => throw new ArgumentException($"RESP arguments are strings or byte arrays, not {argument.GetType().Name}", nameof(arguments)),
            };
            Append($"${bytes.Length}\r\n");
            _pending.Write(bytes);
            Append("\r\n");
        }
    }

    private void Append(string text) => _pending.Write(Encoding.ASCII.GetBytes(text));

    /// <summary>Sends every queued command.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.WrittenCount > 0)
        {
            await _stream.WriteAsync(_pending.WrittenMemory, cancellationToken);
            _pending.ResetWrittenCount();
        }

        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>Sends one command and reads its reply; an error reply throws <see cref="RespErrorException"/>.</summary>
    public async Task<RespValue> CallAsync(CancellationToken cancellationToken, params object[] arguments)
    {
        Send(arguments);
        await FlushAsync(cancellationToken);
        var reply = await ReadAsync(cancellationToken);
        return reply.Kind == RespKind.Error ? throw new RespErrorException(reply.Text ?? "ERR") : reply;
    }

    /// <summary>Reads one reply (error replies are returned, not thrown, so pipelined replies can be inspected one by one).</summary>
    public async Task<RespValue> ReadAsync(CancellationToken cancellationToken)
    {
        string line = await ReadLineAsync(cancellationToken);
        if (line.Length == 0)
        {
            throw new InvalidDataException("empty RESP reply line");
        }

        string rest = line[1..];
        switch (line[0])
        {
            case '+':
                return new RespValue(RespKind.SimpleString, Encoding.UTF8.GetBytes(rest));
            case '-':
                return new RespValue(RespKind.Error, Encoding.UTF8.GetBytes(rest));
            case ':':
                return new RespValue(RespKind.Number, Number: long.Parse(rest, CultureInfo.InvariantCulture));
            case '$':
                int length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return new RespValue(RespKind.BulkString);
                }

                var bytes = new byte[length];
                await ReadExactAsync(bytes, cancellationToken);
                await ExpectCrLfAsync(cancellationToken);
                return new RespValue(RespKind.BulkString, bytes);
            case '*':
                int count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return new RespValue(RespKind.Array);
                }

                var items = new RespValue[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = await ReadAsync(cancellationToken);
                }

                return new RespValue(RespKind.Array, Items: items);
            default:
                throw new InvalidDataException($"unexpected RESP reply type '{line[0]}'");
        }
    }

    /// <summary>Reads a CRLF-terminated line (ASCII), without the CRLF.</summary>
    public async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException("Redis closed the connection");
            }

            int cr = Array.IndexOf(_buffer, (byte)'\r', _start, _end - _start);
            if (cr >= 0 && cr + 1 < _end)
            {
                line.Append(Encoding.ASCII.GetString(_buffer, _start, cr - _start));
                _start = cr + 1;
                await ExpectAsync((byte)'\n', cancellationToken);
                return line.ToString();
            }

            // No complete CRLF yet: keep all but a trailing CR, and read more.
            int take = cr >= 0 ? cr - _start : _end - _start;
            line.Append(Encoding.ASCII.GetString(_buffer, _start, take));
            _start += take;
            if (cr >= 0)
            {
                // The CR is the last buffered byte: compact and refill so the LF can follow.
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
                if (!await FillAsync(cancellationToken))
                {
                    throw new EndOfStreamException("Redis closed the connection mid-line");
                }
            }
        }
    }

    /// <summary>Reads raw bytes (buffered ones first): for payloads that are not RESP, like the RDB after SYNC. 0 at end of stream.</summary>
    public async ValueTask<int> ReadRawAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_start < _end)
        {
            int n = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }

        return await _stream.ReadAsync(destination, cancellationToken);
    }

    /// <summary>
    /// Synchronous <see cref="ReadRawAsync"/>, for bulk payloads read on a dedicated thread: a blocking
    /// read per 256 KiB costs far less than an asynchronous wake-up per socket segment.
    /// </summary>
    public int ReadRaw(Span<byte> destination)
    {
        if (_start < _end)
        {
            int n = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }

        return _stream.Read(destination);
    }

    private async Task ReadExactAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            int n = await ReadRawAsync(destination, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException("Redis closed the connection mid-reply");
            }

            destination = destination[n..];
        }
    }

    private async Task ExpectCrLfAsync(CancellationToken cancellationToken)
    {
        await ExpectAsync((byte)'\r', cancellationToken);
        await ExpectAsync((byte)'\n', cancellationToken);
    }

    private async Task ExpectAsync(byte expected, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        await ReadExactAsync(one, cancellationToken);
        if (one[0] != expected)
        {
            throw new InvalidDataException($"malformed RESP: expected byte {expected}, got {one[0]}");
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += n;
        return n > 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
