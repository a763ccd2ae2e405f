using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Tests.Vault;

/// <summary>
/// The read-ahead in front of every download: the reader gets exactly the inner stream's bytes,
/// whatever its read sizes (sync or async) and wherever chunk edges fall; the inner stream's failure
/// reaches the reader as itself, after the bytes before it; disposing early stops the copying and
/// disposes the inner stream.
/// </summary>
public class ReadAheadStreamTests
{
    [Theory]
    [InlineData(0, 16, 2)]
    [InlineData(1, 16, 2)]
    [InlineData(16, 16, 2)]
    [InlineData(17, 16, 2)]
    [InlineData(1000, 7, 3)]
    [InlineData(100_000, 4096, 1)]
    public async Task Delivers_TheInnerBytes_Exactly_WithAnyReadSizes(int length, int chunkSize, int depth)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        await using var ahead = new ReadAheadStream(new TricklingStream(data), chunkSize, depth);

        var copy = new MemoryStream();
        var sizes = new Random(7);
        byte[] buffer = new byte[50];
        int read;
        bool sync = false;
        while ((read = sync ? ahead.Read(buffer, 0, 1 + sizes.Next(buffer.Length)) : await ahead.ReadAsync(buffer.AsMemory(0, 1 + sizes.Next(buffer.Length)))) > 0)
        {
            copy.Write(buffer, 0, read);
            sync = !sync;
        }

        Assert.Equal(data, copy.ToArray());
        Assert.Equal(0, await ahead.ReadAsync(buffer)); // stays at its end
    }

    [Fact]
    public async Task AFailureOfTheInnerStream_ReachesTheReader_AsItself_AfterTheBytesBeforeIt()
    {
        byte[] data = new byte[100];
        new Random(1).NextBytes(data);
        await using var ahead = new ReadAheadStream(new TricklingStream(data, failAfter: 60), chunkSize: 16, depth: 2);

        var copy = new MemoryStream();
        var error = await Assert.ThrowsAsync<IOException>(() => ahead.CopyToAsync(copy));

        Assert.Equal("connection reset after 60 bytes", error.Message);
        Assert.Equal(data[..48], copy.ToArray()[..48]); // whole chunks before the failure arrived first
    }

    [Fact]
    public async Task DisposingBeforeTheEnd_StopsTheCopying_AndDisposesTheInnerStream()
    {
        var inner = new TricklingStream(new byte[10_000_000]);
        var ahead = new ReadAheadStream(inner, chunkSize: 1024, depth: 2);
        byte[] buffer = new byte[10];
        Assert.Equal(10, await ahead.ReadAsync(buffer));

        await ahead.DisposeAsync();

        Assert.True(inner.Disposed);
        Assert.True(inner.Served < 10_000_000, "the whole inner stream was read");
        await ahead.DisposeAsync(); // twice is harmless
    }

    /// <summary>A stream that returns at most 5 bytes a read (like a slow socket), and can fail part-way.</summary>
    private sealed class TricklingStream(byte[] data, int failAfter = -1) : MemoryStream(data)
    {
        public bool Disposed { get; private set; }

        public long Served { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (failAfter >= 0 && Position >= failAfter)
            {
                throw new IOException($"connection reset after {failAfter} bytes");
            }

            int limit = failAfter >= 0 ? (int)Math.Min(5, failAfter - Position) : 5;
            int read = await base.ReadAsync(buffer[..Math.Min(buffer.Length, limit)], cancellationToken);
            Served += read;
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
