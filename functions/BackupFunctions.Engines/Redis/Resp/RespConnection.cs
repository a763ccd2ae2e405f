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
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);

    private RespConnection(TcpClient tcp, Stream stream, RedisEndpoint endpoint)
    {
        _tcp = tcp;
        _stream = stream;
        Endpoint = endpoint;
    }

    public RedisEndpoint Endpoint { get; }

    /// <summary>Connects, authenticates (AUTH [user] password) and selects the database. Failures are one-line <see cref="EngineException"/>s.</summary>
    public static async Task<RespConnection> ConnectAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(endpoint.ConnectTimeout);
                try
                {
                    await tcp.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new EngineException(FailureKind.Unavailable, $"timed out connecting to Redis at {endpoint.Host}:{endpoint.Port} (is it reachable?)");
                }
            }

            Stream stream = tcp.GetStream();
            if (endpoint.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = endpoint.SslHost ?? endpoint.Host }, cancellationToken);
                stream = ssl;
            }

            var connection = new RespConnection(tcp, stream, endpoint);
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
            tcp.Dispose();
            throw e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new EngineException(FailureKind.Unavailable,
                    $"connection refused at {endpoint.Host}:{endpoint.Port} (is Redis running and listening there?)", e),
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new EngineException(FailureKind.Configuration,
                    $"host '{endpoint.Host}' not found (check the Redis connection string)", e),
                _ => new EngineException(FailureKind.Unavailable, $"cannot reach Redis at {endpoint.Host}:{endpoint.Port}: {e.SocketErrorCode}", e),
            };
        }
        catch
        {
            tcp.Dispose();
            throw;
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
        _tcp.Dispose();
    }
}
