using System.Buffers;
using BackupFunctions.Streams;
using System.Threading.Channels;

namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// Reads ahead of its reader: a task copies the inner stream into at most <c>depth</c> chunks of
/// <c>chunkSize</c> bytes, so the work behind the inner stream runs on one core while the reader works
/// on another. For a download (the default, asynchronous reads) that is the network, TLS and the
/// store's sending; with <c>dedicatedThread</c> the task is a thread of its own reading synchronously,
/// for CPU-bound inner streams (a decompressor: its synchronous path costs about a fifth less CPU
/// than its asynchronous one). Memory: depth × chunkSize. The inner stream's failure reaches the
/// reader as the same exception, after the chunks read before it; disposing stops the task and the
/// inner stream.
/// </summary>
public sealed class ReadAheadStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly Channel<Chunk> _chunks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private Chunk _current;
    private int _offset;
    private bool _ended;
    private bool _disposed;

    public ReadAheadStream(Stream inner, int chunkSize = 1024 * 1024, int depth = 8, bool dedicatedThread = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        _inner = inner;
        _chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(depth) { SingleReader = true, SingleWriter = true });
        _producer = dedicatedThread
            ? Task.Factory.StartNew(() => Produce(chunkSize), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : Task.Run(() => ProduceAsync(chunkSize));
    }

    private readonly record struct Chunk(byte[]? Buffer, int Count);

    /// <summary>
    /// Stops reading ahead without disposing anything: the chunks already read stay readable, and a
    /// reader waiting for more gets an <see cref="OperationCanceledException"/>. For a chain of
    /// read-aheads, so the one upstream can be stopped before the one whose thread reads it is waited for.
    /// </summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        try
        {
            await _producer;
        }
        catch (OperationCanceledException)
        {
            // stopped on purpose
        }
    }

    private void Produce(int chunkSize)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
                int filled = 0;
                int read;
                while (filled < chunkSize && (read = _inner.Read(buffer, filled, chunkSize - filled)) > 0)
                {
                    filled += read;
                }

                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                var chunk = new Chunk(buffer, filled);
                if (!_chunks.Writer.TryWrite(chunk))
                {
                    _chunks.Writer.WriteAsync(chunk, _stop.Token).AsTask().GetAwaiter().GetResult();
                }

                if (filled < chunkSize)
                {
                    break;
                }
            }

            _stop.Token.ThrowIfCancellationRequested();
            _chunks.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _chunks.Writer.TryComplete(e);
        }
    }

    private async Task ProduceAsync(int chunkSize)
    {
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
                int filled = 0;
                int read;
                while (filled < chunkSize && (read = await _inner.ReadAsync(buffer.AsMemory(filled, chunkSize - filled), _stop.Token)) > 0)
                {
                    filled += read;
                }

                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                await _chunks.Writer.WriteAsync(new Chunk(buffer, filled), _stop.Token);
                if (filled < chunkSize)
                {
                    break; // the inner stream ended inside this chunk
                }
            }

            _chunks.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _chunks.Writer.TryComplete(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty || !await NextChunkAsync(cancellationToken) ? 0 : Take(buffer.Span);

    /// <summary>True when the current chunk has bytes left (taking the next one when it has none); false at the end.</summary>
    private async ValueTask<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        while (_current.Buffer is null || _offset == _current.Count)
        {
            Release();
            if (_ended)
            {
                return false;
            }

            if (_chunks.Reader.TryRead(out var next))
            {
                (_current, _offset) = (next, 0);
            }
            else if (!await _chunks.Reader.WaitToReadAsync(cancellationToken))
            {
                _ended = true;
                await _chunks.Reader.Completion; // throws what ended the inner stream, if anything did
                return false;
            }
        }

        return true;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous readers (some decompressors) wait for the next chunk on their own thread; the producer runs elsewhere.
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var next = NextChunkAsync(CancellationToken.None);
        bool more = next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult();
        return more ? Take(buffer) : 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _current.Count - _offset);
        _current.Buffer.AsSpan(_offset, n).CopyTo(destination);
        _offset += n;
        return n;
    }

    private void Release()
    {
        if (_current.Buffer is { } done)
        {
            ArrayPool<byte>.Shared.Return(done);
            _current = default;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync();
        Release();
        while (_chunks.Reader.TryRead(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer!);
        }

        await _inner.DisposeAsync();
        _stop.Dispose();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
