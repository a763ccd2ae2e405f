using BackupFunctions.Activities.Backups;
using BackupFunctions.Tests.Vault;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Tests.Vault;

public class BackupReaderTests
{
    private static async Task<(BackupManifest Manifest, byte[] Stored)> StoreAsync(byte[] raw, CompressionKind kind)
    {
        var sink = new MemoryBlockSink();
        await using var pipeline = new BackupPipeline(sink, kind, new PipelineOptions(4096, 2));
        await pipeline.Input.WriteAsync(raw);
        var result = await pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
        var manifest = BackupManifestTests.Sample() with
        {
            Compression = Compression.Name(kind),
            RawBytes = result.RawBytes,
            StoredBytes = result.StoredBytes,
            Sha256Raw = result.Sha256Raw,
            Sha256Stored = result.Sha256Stored,
        };
        return (manifest, sink.Blob());
    }

    private static async Task<VerificationResult> ReadAllAsync(BackupManifest manifest, byte[] stored, int readFirst = int.MaxValue)
    {
        await using var reader = new BackupReader(manifest, new MemoryStream(stored));
        var buffer = new byte[Math.Min(readFirst, 1 << 20)];
        try
        {
            _ = await reader.Raw.ReadAsync(buffer); // a consumer that stops early
        }
        catch (InvalidDataException e)
        {
            reader.DecodeError = e.Message;
        }

        return await reader.FinishAsync(CancellationToken.None);
    }

    private static byte[] Raw() => Enumerable.Range(0, 50_000).Select(i => (byte)((i * 7) ^ (i >> 5))).ToArray();

    [Theory]
    [InlineData(CompressionKind.Brotli)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.None)]
    [InlineData(CompressionKind.Zstd)]
    public async Task Finish_IntactBackup_IsOkEvenWhenTheConsumerStoppedEarly(CompressionKind kind)
    {
        var (manifest, stored) = await StoreAsync(Raw(), kind);

        var result = await ReadAllAsync(manifest, stored, readFirst: 100);

        Assert.Equal(VerificationStatus.Ok, result.Status);
    }

    [Theory]
    [InlineData(CompressionKind.Brotli)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.None)]
    [InlineData(CompressionKind.Zstd)]
    public async Task Finish_OneFlippedByte_IsChecksumMismatch(CompressionKind kind)
    {
        var (manifest, stored) = await StoreAsync(Raw(), kind);
        stored[stored.Length / 2] ^= 0x01;

        var result = await ReadAllAsync(manifest, stored);

        Assert.Equal(VerificationStatus.ChecksumMismatch, result.Status);
    }

    [Theory]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    public async Task Finish_TruncatedBlob_IsSizeMismatch(CompressionKind kind)
    {
        var (manifest, stored) = await StoreAsync(Raw(), kind);

        var result = await ReadAllAsync(manifest, stored[..^10]);

        Assert.Equal(VerificationStatus.SizeMismatch, result.Status);
    }

    [Fact]
    public async Task Finish_ManifestRawHashWrong_IsChecksumMismatchOfTheDecompressedDump()
    {
        var (manifest, stored) = await StoreAsync(Raw(), CompressionKind.Brotli);

        var result = await ReadAllAsync(manifest with { Sha256Raw = new string('0', 64) }, stored);

        Assert.Equal(VerificationStatus.ChecksumMismatch, result.Status);
        Assert.Contains("decompressed", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finish_ReaderOfRawSawBadDataMidway_StoredBytesAreStillAllCounted_AndTheVerdictIsStructure()
    {
        // The engine's parser (not the codec) stops reading Raw early: the decompressing thread may still be running, and
        // must have finished before the stored stream is drained on this one (else the sizes and hashes would be wrong).
        var (manifest, stored) = await StoreAsync(Raw(), CompressionKind.Zstd);
        await using var reader = new BackupReader(manifest, new MemoryStream(stored));
        _ = await reader.Raw.ReadAsync(new byte[10]);
        reader.DecodeError = "table data ends early";

        var result = await reader.FinishAsync(CancellationToken.None);

        Assert.Equal(VerificationStatus.StructureInvalid, result.Status);
        Assert.Equal(stored.Length, reader.StoredBytesRead);
    }

    [Fact]
    public async Task Dispose_WhileTheDownloadStalls_StopsBothReadAheads_InsteadOfWaitingForTheNetwork()
    {
        var (manifest, stored) = await StoreAsync(Raw(), CompressionKind.Zstd);
        var download = new StallingStream(stored[..(stored.Length / 2)]);
        var reader = new BackupReader(manifest, download); // the decompressing thread now waits for the rest of the download
        await download.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await reader.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // a hang here is the bug

        Assert.True(download.SawCancellation);
    }

    /// <summary>Gives its bytes, then waits for data that never comes until its read is cancelled.</summary>
    private sealed class StallingStream(byte[] first) : Stream
    {
        private int _position;

        public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SawCancellation { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the download is read asynchronously");

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < first.Length)
            {
                int n = Math.Min(buffer.Length, first.Length - _position);
                first.AsMemory(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            Stalled.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }

            return 0;
        }
    }
}
