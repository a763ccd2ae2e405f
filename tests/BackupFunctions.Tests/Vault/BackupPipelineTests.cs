using System.Security.Cryptography;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Tests.Vault;

public class BackupPipelineTests
{
    private const int BlockSize = 4096;

    private static byte[] MixedData(int length, int seed)
    {
        // Half random, half repetitive text: compressible but not trivially so.
        var random = new Random(seed);
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (i / 512) % 2 == 0 ? (byte)random.Next(256) : (byte)('a' + (i % 26));
        }

        return data;
    }

    private static byte[] Decompress(CompressionKind kind, byte[] stored)
    {
        using var input = new MemoryStream(stored);
        using var codec = Compression.Decompressor(kind, input);
        using var output = new MemoryStream();
        codec.CopyTo(output);
        return output.ToArray();
    }

    private static async Task<(PipelineResult Result, MemoryBlockSink Sink)> RunAsync(byte[] data, CompressionKind kind, int writeChunk = 1000, PipelineOptions? options = null)
    {
        var sink = new MemoryBlockSink();
        await using var pipeline = new BackupPipeline(sink, kind, options ?? new PipelineOptions(BlockSize, 3));
        for (int offset = 0; offset < data.Length; offset += writeChunk)
        {
            await pipeline.Input.WriteAsync(data.AsMemory(offset, Math.Min(writeChunk, data.Length - offset)));
        }

        var result = await pipeline.CompleteAsync(new Dictionary<string, string> { ["backupid"] = "x" }, CancellationToken.None);
        return (result, sink);
    }

    public static TheoryData<int, CompressionKind> Sizes()
    {
        var data = new TheoryData<int, CompressionKind>();
        foreach (var kind in Enum.GetValues<CompressionKind>())
        {
            foreach (int size in new[] { 0, 1, BlockSize - 1, BlockSize, BlockSize + 1, (3 * BlockSize) + 17, 100_000 })
            {
                data.Add(size, kind);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Complete_HashesAndSizesDescribeRawAndStoredBytes(int size, CompressionKind kind)
    {
        byte[] data = MixedData(size, size);

        var (result, sink) = await RunAsync(data, kind);

        byte[] stored = sink.Blob();
        Assert.Equal(data.Length, result.RawBytes);
        Assert.Equal(stored.Length, result.StoredBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), result.Sha256Raw);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored)), result.Sha256Stored);
        Assert.Equal(data, Decompress(kind, stored));
        Assert.Equal(result.Sha256Stored, sink.CommittedMetadata!["sha256"]);
        Assert.Equal("x", sink.CommittedMetadata!["backupid"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(BlockSize)]
    [InlineData(BlockSize + 3)]
    [InlineData(50_000)]
    public async Task Complete_CutsFullBlocksAndOneShortLastBlock(int writeChunk)
    {
        byte[] data = MixedData((5 * BlockSize) + 100, 7);

        var (result, sink) = await RunAsync(data, CompressionKind.None, writeChunk);

        Assert.Equal([BlockSize, BlockSize, BlockSize, BlockSize, BlockSize, 100], sink.BlockSizes());
        Assert.Equal(6, result.Blocks);
        Assert.Equal(sink.CommittedIds!.Count, sink.CommittedIds.Distinct().Count());
        Assert.All(sink.CommittedIds, id => Assert.Equal(sink.CommittedIds[0].Length, id.Length));
    }

    [Fact]
    public async Task Upload_FirstBlocksRampUpFrom1MiB_SoASmallBackupIsUploadedWhileItIsWritten()
    {
        const int MiB = 1024 * 1024;
        var sink = new MemoryBlockSink();
        var upload = new BlockUploadStream(sink, 16 * MiB, 4);
        byte[] chunk = MixedData(MiB, 3);
        for (int i = 0; i < 15; i++)
        {
            await upload.WriteAsync(chunk);
        }

        Assert.Equal(4, sink.StageCalls); // 1 + 2 + 4 + 8 MiB staged before the end of the writes

        for (int i = 0; i < 33; i++)
        {
            await upload.WriteAsync(chunk);
        }

        await upload.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
        Assert.Equal([MiB, 2 * MiB, 4 * MiB, 8 * MiB, 16 * MiB, 16 * MiB, MiB], sink.BlockSizes());
    }

    [Fact]
    public async Task Complete_EmptyInput_CommitsAnEmptyBlob()
    {
        var (result, sink) = await RunAsync([], CompressionKind.None);

        Assert.Empty(sink.CommittedIds!);
        Assert.Equal(0, result.StoredBytes);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", result.Sha256Raw);
    }

    [Fact]
    public async Task Upload_StagesInParallelButNeverMoreThanMaxInFlight()
    {
        var sink = new MemoryBlockSink(stageDelay: TimeSpan.FromMilliseconds(30));
        byte[] data = MixedData(20 * BlockSize, 3);
        await using var pipeline = new BackupPipeline(sink, CompressionKind.None, new PipelineOptions(BlockSize, MaxInFlight: 3));

        await pipeline.Input.WriteAsync(data);
        await pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(20, sink.StageCalls);
        Assert.InRange(sink.MaxInFlight, 2, 3);
    }

    [Fact]
    public async Task Write_Cancelled_ThrowsAndNeverCommits()
    {
        var sink = new MemoryBlockSink(stageDelay: TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource();
        await using var pipeline = new BackupPipeline(sink, CompressionKind.None, new PipelineOptions(BlockSize, MaxInFlight: 1));
        byte[] data = MixedData(BlockSize * 4, 1);

        var write = pipeline.Input.WriteAsync(data, cancel.Token).AsTask();
        await Task.Delay(100);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.Null(sink.CommittedIds);
    }

    [Fact]
    public async Task Upload_FailedBlock_FailsTheBackupAndNeverCommits()
    {
        var sink = new MemoryBlockSink(failOnBlock: 1);
        await using var pipeline = new BackupPipeline(sink, CompressionKind.None, new PipelineOptions(BlockSize, MaxInFlight: 2));
        byte[] data = MixedData(BlockSize * 10, 5);

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await pipeline.Input.WriteAsync(data);
            await pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
        });

        Assert.Contains("injected failure", error.Message, StringComparison.Ordinal);
        Assert.Null(sink.CommittedIds);
    }

    [Fact]
    public void BlockIds_AreBase64OfEqualLength()
    {
        Assert.Equal(BlockUploadStream.BlockId(0).Length, BlockUploadStream.BlockId(99_999_999).Length);
        Assert.Equal("block-00000042", System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(BlockUploadStream.BlockId(42))));
    }
}
