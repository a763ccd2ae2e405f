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
}
