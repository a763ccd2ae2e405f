using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text;
using BackupFunctions.Streams;

namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// Write-only stream that cuts its input into fixed-size blocks and stages them on an
/// <see cref="IBlockSink"/> with at most <c>maxInFlight</c> uploads at once. Writers wait when that
/// many are in flight, so memory stays at (maxInFlight + 1) × blockSize whatever the data size.
/// </summary>
public sealed class BlockUploadStream : WriteOnlyStream
{
    private readonly IBlockSink _sink;
    private readonly int _blockSize;
    private readonly SemaphoreSlim _slots;
    private readonly ArrayPool<byte> _pool;
    private readonly List<string> _blockIds = [];
    private readonly List<Task> _inFlight = [];
    private readonly CancellationTokenSource _failed = new();
    private ExceptionDispatchInfo? _firstFailure;
    private byte[]? _current;
    private int _filled;
    private bool _completed;

    public BlockUploadStream(IBlockSink sink, int blockSize, int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _sink = sink;
        _blockSize = blockSize;
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
        _pool = ArrayPool<byte>.Create(blockSize, maxInFlight + 1);
    }

    /// <summary>Number of blocks staged or being staged.</summary>
    public int BlockCount => _blockIds.Count;

    /// <summary>Bytes accepted so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Block ids are base64 of a fixed-width counter, as the Blob service requires equal lengths.</summary>
    internal static string BlockId(int index) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"block-{index:D8}"));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            _current ??= _pool.Rent(_blockSize);
            int limit = CurrentBlockLimit();
            int n = Math.Min(buffer.Length, limit - _filled);
            buffer.Span[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            BytesWritten += n;
            buffer = buffer[n..];
            if (_filled == limit)
            {
                await StageCurrentAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>The first blocks ramp up from this size (doubling) to the block size.</summary>
    internal const int RampStart = 1024 * 1024;

    /// <summary>
    /// The size at which the current block is staged: 1, 2, 4, 8 MiB, then the block size. Uploading starts after the
    /// first MiB instead of the first 16, so a backup that stores less than a block (a 15 MB Redis backup) is uploaded
    /// while its dump runs instead of after it; a large one gets four more blocks out of 50,000 allowed.
    /// </summary>
    private int CurrentBlockLimit() => (int)Math.Min(_blockSize, (long)RampStart << Math.Min(_blockIds.Count, 20));

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private async Task StageCurrentAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _failed.Token);
        try
        {
            await _slots.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (_firstFailure is not null && !cancellationToken.IsCancellationRequested)
        {
            _firstFailure.Throw();
            throw;
        }

        byte[] block = _current!;
        int length = _filled;
        string id = BlockId(_blockIds.Count);
        _blockIds.Add(id);
        _current = null;
        _filled = 0;
        _inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
        _inFlight.Add(StageAsync(id, block, length, cancellationToken));
    }

    private async Task StageAsync(string id, byte[] block, int length, CancellationToken cancellationToken)
    {
        try
        {
            await _sink.StageBlockAsync(id, block.AsMemory(0, length), cancellationToken);
        }
        catch (Exception e)
        {
            // Record the cause first, then wake any writer waiting for a slot, so a failed upload
            // stops the pipeline at once and the writer reports the upload's own error.
            Interlocked.CompareExchange(ref _firstFailure, ExceptionDispatchInfo.Capture(e), null);
            await _failed.CancelAsync();
            throw;
        }
        finally
        {
            _pool.Return(block);
            _slots.Release();
        }
    }

    /// <summary>
    /// Stages the last partial block, waits for every upload, and commits the blob with the given
    /// metadata (create-only). Returns the number of blocks.
    /// </summary>
    public async Task<int> CompleteAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_filled > 0)
        {
            await StageCurrentAsync(cancellationToken);
        }

        try
        {
            await Task.WhenAll(_inFlight);
        }
        catch when (_firstFailure is not null)
        {
            _firstFailure.Throw();
        }

        _completed = true;
        await _sink.CommitAsync(_blockIds, metadata, cancellationToken);
        return _blockIds.Count;
    }

    public override bool CanWrite => !_completed;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _completed = true;
            if (_current is not null)
            {
                _pool.Return(_current);
                _current = null;
            }

            _failed.Dispose();
        }

        base.Dispose(disposing);
    }
}
