using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Tests.Vault;

/// <summary>Every codec round-trips; names and suffixes are stable (they are in manifests and blob names); corrupt input is InvalidDataException.</summary>
public class CompressionTests
{
    private static byte[] Data(int size, int seed = 1)
    {
        var random = new Random(seed);
        var bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = i % 3 == 0 ? (byte)random.Next(256) : (byte)('a' + (i / 7 % 26)); // part noise, part text
        }

        return bytes;
    }

    private static byte[] Compress(Func<Stream, Stream> compressor, byte[] raw, int chunk = 100_000)
    {
        using var output = new MemoryStream();
        using (var c = compressor(output))
        {
            for (int offset = 0; offset < raw.Length; offset += chunk)
            {
                c.Write(raw, offset, Math.Min(chunk, raw.Length - offset));
            }
        }

        return output.ToArray();
    }

    private static byte[] Decompress(CompressionKind kind, byte[] stored)
    {
        using var input = new MemoryStream(stored);
        using var d = Compression.Decompressor(kind, input);
        using var output = new MemoryStream();
        d.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Brotli)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.None)]
    public void EveryCodec_RoundTrips_AndLeavesTheOutputOpen(CompressionKind kind)
    {
        byte[] raw = Data(3_000_000);
        using var output = new MemoryStream();
        using (var c = Compression.Compressor(kind, output))
        {
            c.Write(raw);
        }

        Assert.True(output.CanWrite, "the compressor closed the stream under it");
        Assert.Equal(raw, Decompress(kind, output.ToArray()));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(1, 2)]
    public void Zstd_AnyLevelOrWorkerCount_IsReadByTheOneDecompressor(int level, int workers)
    {
        byte[] raw = Data(5_000_000, seed: level + workers);

        byte[] stored = Compress(o => Compression.Zstd(o, level, workers), raw);

        Assert.True(stored.Length < raw.Length, "zstd did not compress");
        Assert.Equal(raw, Decompress(CompressionKind.Zstd, stored));
    }

    [Fact]
    public void Zstd_NamesAndSuffix_AreStable()
    {
        Assert.Equal("zstd", Compression.Name(CompressionKind.Zstd));
        Assert.Equal(".zst", Compression.Suffix(CompressionKind.Zstd));
        Assert.Equal(CompressionKind.Zstd, Compression.Parse(" ZSTD "));
        Assert.Null(Compression.Parse("lz4"));
    }

    [Fact]
    public void Zstd_CorruptOrTruncatedInput_IsInvalidData()
    {
        byte[] stored = Compress(o => Compression.Compressor(CompressionKind.Zstd, o), Data(1_000_000));
        byte[] flipped = (byte[])stored.Clone();
        flipped[4] ^= 0xff; // inside the frame header

        Assert.Throws<InvalidDataException>(() => Decompress(CompressionKind.Zstd, flipped));
        Assert.Throws<InvalidDataException>(() => Decompress(CompressionKind.Zstd, stored[..(stored.Length / 2)]));
    }

    [Fact]
    public async Task Zstd_ConcatenatedFrames_TinyReads_AndAsyncReads_AllGiveTheRawBytes()
    {
        byte[] first = Data(300_000, seed: 2), second = Data(70_000, seed: 3);
        byte[] stored = [.. Compress(o => Compression.Zstd(o, 1, 0), first), .. Compress(o => Compression.Zstd(o, 3, 2), second)];

        using (var d = Compression.Decompressor(CompressionKind.Zstd, new MemoryStream(stored)))
        {
            var tiny = new MemoryStream();
            var one = new byte[1];
            while (d.Read(one, 0, 1) == 1)
            {
                tiny.WriteByte(one[0]);
            }

            Assert.Equal([.. first, .. second], tiny.ToArray());
            Assert.Equal(0, d.Read(one, 0, 1)); // and stays at the end
        }

        await using var asyncReader = Compression.Decompressor(CompressionKind.Zstd, new MemoryStream(stored));
        var copied = new MemoryStream();
        await asyncReader.CopyToAsync(copied, 4096);
        Assert.Equal([.. first, .. second], copied.ToArray());
    }

    [Fact]
    public void Zstd_GarbageAfterTheLastFrame_OrAnEmptyFrameCut_IsInvalidData()
    {
        byte[] stored = Compress(o => Compression.Compressor(CompressionKind.Zstd, o), Data(100_000));
        Assert.Throws<InvalidDataException>(() => Decompress(CompressionKind.Zstd, [.. stored, 1, 2, 3, 4, 5, 6, 7, 8]));
        Assert.Throws<InvalidDataException>(() => Decompress(CompressionKind.Zstd, stored[..^1]));
        Assert.Throws<InvalidDataException>(() => Decompress(CompressionKind.Zstd, stored[..3]));
    }
}
