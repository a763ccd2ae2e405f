using System.Security.Cryptography;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Files;

namespace BackupFunctions.IntegrationTests.Engines.Files;

/// <summary>
/// A 300 MB file (pattern chunks and holes) through dump, verify and restore. What this proves: the tar reaches the
/// pipeline in writes of at most 1 MiB while the file is read once, so nothing holds a whole file; and the bytes come
/// back exactly. Peak process memory is not asserted here: a reading inside a test process shared with parallel
/// tests cannot be a reliable bound (docs/files.md has the CLI's measured peak RSS for 300 MiB and 1.2 GiB).
/// </summary>
public class FilesLargeFileTests
{
    private const int Chunk = 1 << 20;
    private const int Chunks = 300;

    [Fact]
    public async Task LargeFile_StreamsInBoundedWrites_VerifiesAndRestoresExactly()
    {
        using var sample = FileTreeSample.Create();
        string expected = await WritePatternFileAsync(Path.Combine(sample.Source, "index", "model.bin"));
        string tarPath = sample.NewPath("model.tar");
        string restored = sample.NewPath("restored");
        var engine = new FilesEngine();

        DumpResult dump;
        long largestWrite;
        await using (var tar = new WriteRecorder(File.Create(tarPath)))
        {
            dump = await engine.DumpAsync(sample.Source, tar, CancellationToken.None);
            largestWrite = tar.Largest;
        }

        StructureCheck check;
        await using (var tar = File.OpenRead(tarPath))
        {
            check = await engine.CheckStructureAsync(tar, dump.Stats, CancellationToken.None);
        }

        await using (var tar = File.OpenRead(tarPath))
        {
            await engine.RestoreAsync(tar, restored, new RestoreOptions(Replace: false), CancellationToken.None);
        }

        Assert.Equal((long)Chunk * Chunks + 300_069, dump.Stats.Counts["bytes"]);
        Assert.InRange(largestWrite, 1, Chunk);
        Assert.True(check.IsValid, check.Detail);
        await using var copy = File.OpenRead(Path.Combine(restored, "index", "model.bin"));
        Assert.Equal(expected, Convert.ToHexStringLower(await SHA256.HashDataAsync(copy)));
    }

    /// <summary>Every fourth chunk a hole (sparse where the file system allows), the others a pattern; returns its SHA-256.</summary>
    private static async Task<string> WritePatternFileAsync(string path)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[Chunk];
        await using var file = new FileStream(path, FileMode.CreateNew);
        for (int i = 0; i < Chunks; i++)
        {
            if (i % 4 == 3)
            {
                Array.Clear(chunk);
                file.Seek(Chunk, SeekOrigin.Current);
            }
            else
            {
                for (int j = 0; j < Chunk; j++)
                {
                    chunk[j] = (byte)(i + (j * 31) + (j >> 12));
                }

                await file.WriteAsync(chunk);
            }

            sha.AppendData(chunk);
        }

        file.SetLength((long)Chunk * Chunks);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A forward-only sink like the pipeline's input that records the largest single write.</summary>
    private sealed class WriteRecorder(Stream inner) : Stream
    {
        public long Largest { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Largest = Math.Max(Largest, buffer.Length);
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Largest = Math.Max(Largest, buffer.Length);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
