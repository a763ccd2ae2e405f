using System.Collections.Concurrent;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Tests.Vault;

/// <summary>
/// In-memory <see cref="IBlockSink"/> for pipeline tests (our own interface, not a storage fake):
/// records staged blocks, the commit, and the highest number of concurrent stage calls.
/// </summary>
internal sealed class MemoryBlockSink(TimeSpan stageDelay = default, int failOnBlock = -1) : IBlockSink
{
    private readonly ConcurrentDictionary<string, byte[]> _staged = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _stageCalls;

    public IReadOnlyList<string>? CommittedIds { get; private set; }
    public IReadOnlyDictionary<string, string>? CommittedMetadata { get; private set; }
    public int MaxInFlight => _maxInFlight;
    public int StageCalls => _stageCalls;

    public async Task StageBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        int call = Interlocked.Increment(ref _stageCalls) - 1;
        int now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        try
        {
            // Copy before any await: the pipeline reuses the buffer once this call completes.
            _staged[blockId] = data.ToArray();
            if (stageDelay > TimeSpan.Zero)
            {
                await Task.Delay(stageDelay, cancellationToken);
            }

            if (call == failOnBlock)
            {
                throw new IOException($"injected failure staging block {call}");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public Task CommitAsync(IReadOnlyList<string> blockIds, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        if (CommittedIds is not null)
        {
            throw new InvalidOperationException("committed twice");
        }

        CommittedIds = blockIds.ToList();
        CommittedMetadata = new Dictionary<string, string>(metadata);
        return Task.CompletedTask;
    }

    /// <summary>The committed blob's bytes: its blocks in commit order.</summary>
    public byte[] Blob() => CommittedIds!.SelectMany(id => _staged[id]).ToArray();

    public IReadOnlyList<int> BlockSizes() => CommittedIds!.Select(id => _staged[id].Length).ToList();

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
