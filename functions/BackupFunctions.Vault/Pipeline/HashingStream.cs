using System.Security.Cryptography;
using BackupFunctions.Streams;

namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// Pass-through stream that computes SHA-256 and counts bytes of everything written to it or read
/// from it, so checksums and sizes come from the same pass as the I/O.
/// </summary>
public sealed class HashingStream : ForwardOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _final;

    public HashingStream(Stream inner, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Called with the running byte count after each read or write (progress display).</summary>
    public Action<long>? Progress { get; set; }

    /// <summary>Bytes that have passed through so far.</summary>
    public long BytesCount { get; private set; }

    /// <summary>Lower-case hex SHA-256 of every byte that has passed; after this call no more bytes may pass.</summary>
    public string FinishHash()
    {
        _final ??= _hash.GetHashAndReset();
        return Convert.ToHexStringLower(_final);
    }

    private void Observe(ReadOnlySpan<byte> data)
    {
        if (_final is not null)
        {
            throw new InvalidOperationException("HashingStream: data passed after the hash was finished.");
        }

        _hash.AppendData(data);
        BytesCount += data.Length;
        Progress?.Invoke(BytesCount);
    }

    public override bool CanRead => _inner.CanRead;
    public override bool CanWrite => _inner.CanWrite;
    public override long Position { get => BytesCount; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Observe(buffer);
        _inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Observe(buffer.Span);
        await _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        Observe(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _hash.Dispose();
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
