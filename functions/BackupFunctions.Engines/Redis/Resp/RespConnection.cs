using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BackupFunctions.Engines.Redis.Resp;

/// <summary>
/// The raw connection of the replication reader (see README.md in this folder): one blocking TCP (optionally TLS)
/// socket, AUTH, commands whose replies are simple strings or errors (REPLCONF), and raw reads of whatever follows
/// (the reply to SYNC and the RDB payload). Endpoint, TLS, user and password come from the same parsed
/// StackExchange.Redis options as every other connection. Everything here completes synchronously on the caller's
/// thread: use a dedicated one. Not thread-safe.
/// </summary>
public sealed class RespConnection : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private const int MaxLine = 64 * 1024;

    private RespConnection(Socket socket, Stream stream, RedisEndpoint endpoint)
    {
        _socket = socket;
        _stream = stream;
        Endpoint = endpoint;
    }

    public RedisEndpoint Endpoint { get; }

    /// <summary>
    /// Connects and authenticates (AUTH [user] password); failures are one-line <see cref="EngineException"/>s naming
    /// host:port. The socket never performs an asynchronous operation: .NET emulates blocking reads on a socket once used
    /// asynchronously with an epoll wake-up per segment, which measured three times the CPU for the SYNC payload. So this
    /// completes synchronously, on the caller's thread.
    /// </summary>
    public static Task<RespConnection> ConnectAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Connect(endpoint));
        }
        catch (Exception e)
        {
            return Task.FromException<RespConnection>(e);
        }
    }

    /// <inheritdoc cref="ConnectAsync"/>
    public static RespConnection Connect(RedisEndpoint endpoint)
    {
        var options = endpoint.Options;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            ConnectBlocking(socket, endpoint);
            socket.ReceiveTimeout = (int)endpoint.ConnectTimeout.TotalMilliseconds; // until the handshake is over: see EndHandshake
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (endpoint.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                try
                {
                    ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
                    {
                        TargetHost = endpoint.SslHost ?? endpoint.Host,
                        EnabledSslProtocols = options.SslProtocols ?? SslProtocols.None,
                        CertificateRevocationCheckMode = options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
                    });
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    ssl.Dispose();
                    throw new EngineException(FailureKind.Configuration,
                        $"the TLS handshake with Redis at {endpoint.Address} failed ({e.Message.Split('\n', 2)[0].Trim()}; check ssl= and sslHost=)", e);
                }

                stream = ssl;
            }

            var connection = new RespConnection(socket, stream, endpoint);
            if (endpoint.Password is not null)
            {
                try
                {
                    connection.Call(endpoint.User is null ? ["AUTH", endpoint.Password] : ["AUTH", endpoint.User, endpoint.Password]);
                }
                catch (RespErrorException e)
                {
                    connection.Dispose();
                    throw new EngineException(FailureKind.Authentication,
                        $"Redis at {endpoint.Address} refused the credentials{(endpoint.User is null ? "" : $" of user '{endpoint.User}'")} ({e.Code}; check password= and user=)", e);
                }
            }

            return connection;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new EngineException(FailureKind.Unavailable,
                    $"connection refused at {endpoint.Address} (is Redis running and listening there?)", e),
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new EngineException(FailureKind.Configuration,
                    $"host '{endpoint.Host}' not found (check the Redis connection string)", e),
                SocketError.TimedOut => new EngineException(FailureKind.Unavailable, $"timed out connecting to Redis at {endpoint.Address} (is it reachable?)", e),
                _ => new EngineException(FailureKind.Unavailable, $"cannot reach Redis at {endpoint.Address}: {e.SocketErrorCode}", e),
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A plain blocking connect, bounded by the connect timeout through SO_SNDTIMEO (which Linux applies to connect).
    /// A non-blocking connect followed by a poll would hand the socket to .NET's asynchronous engine for good.
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

    /// <summary>Sends one command and reads its reply; an error reply throws <see cref="RespErrorException"/>.</summary>
    public Task<string> CallAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Call(arguments));
        }
        catch (Exception e)
        {
            return Task.FromException<string>(e);
        }
    }

    /// <summary>
    /// Sends one command and reads its reply, a simple string; an error reply throws <see cref="RespErrorException"/>.
    /// Until <see cref="EndHandshake"/>, a server that does not answer within connectTimeout is an <see cref="EngineException"/>.
    /// </summary>
    public string Call(params string[] arguments)
    {
        Send(arguments);
        string line;
        try
        {
            line = ReadLine();
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            throw new EngineException(FailureKind.Unavailable,
                $"Redis at {Endpoint.Address} did not answer within {Endpoint.ConnectTimeout.TotalMilliseconds:0} ms (connectTimeout; is it a Redis server?)", e);
        }

        return line.Length == 0 ? throw new InvalidDataException("empty RESP reply line")
            : line[0] == '+' ? line[1..]
            : line[0] == '-' ? throw new RespErrorException(line[1..])
            : throw new InvalidDataException($"unexpected RESP reply type '{line[0]}'");
    }

    /// <summary>From now on reads wait as long as it takes (the snapshot may take a while to start, and the payload to arrive).</summary>
    public void EndHandshake() => _socket.ReceiveTimeout = 0;

    /// <summary>Sends one command (a RESP array of bulk strings, UTF-8).</summary>
    public void Send(params string[] arguments)
    {
        var command = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (string argument in arguments)
        {
            command.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        _stream.Write(Encoding.UTF8.GetBytes(command.ToString()));
        _stream.Flush();
    }

    /// <summary>
    /// Reads a CRLF-terminated line (ASCII), without the CRLF. Bare newlines before it are skipped: they are the
    /// keep-alives a server sends after SYNC while it prepares the snapshot.
    /// </summary>
    public string ReadLine()
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !Fill())
            {
                throw new EndOfStreamException("Redis closed the connection");
            }

            int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (lf < 0 ? _end : lf) - _start;
            line.Append(Encoding.ASCII.GetString(_buffer, _start, take));
            _start += take;
            if (line.Length > MaxLine)
            {
                throw new InvalidDataException($"a RESP reply line longer than {MaxLine} bytes");
            }

            if (lf >= 0)
            {
                _start++; // the LF
                if (line.Length == 0)
                {
                    continue; // a keep-alive
                }

                return line[^1] == '\r' ? line.ToString(0, line.Length - 1) : throw new InvalidDataException("malformed RESP: a line ends in LF without CR");
            }
        }
    }

    /// <summary>Reads raw bytes (buffered ones first), for what is not RESP: the RDB payload after SYNC. 0 at end of stream.</summary>
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

    private bool Fill()
    {
        _start = _end = 0;
        _end = _stream.Read(_buffer);
        return _end > 0;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The server answered with an error reply (e.g. "NOAUTH Authentication required.").</summary>
public sealed class RespErrorException : Exception
{
    public RespErrorException(string message) : base(message) { }

    public RespErrorException() { }

    public RespErrorException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The first word of the error, e.g. NOAUTH, WRONGPASS, ERR.</summary>
    public string Code => Message.Split(' ', 2)[0];
}
