using System.Security.Cryptography;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// A file as TarWriter reads it: exactly the length it had when opened (the size in its tar header), hashed with
/// SHA-256 as it passes, so each file is read once. A file that grows meanwhile is cut at that length (the caller
/// warns); one that shrinks cannot fill its header's size and fails the backup.
/// </summary>
internal sealed class FileSnapshotStream(FileStream file, string path, long length) : Stream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => true; // TarWriter takes the entry's size from Length - Position of a seekable stream
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    /// <summary>True when the file is longer now than when it was opened.</summary>
    public bool Grew => file.Length > length;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var slice = Slice(buffer.Length);
        int n = slice == 0 ? 0 : file.Read(buffer[..slice]);
        return Passed(buffer[..n], slice);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int slice = Slice(buffer.Length);
        int n = slice == 0 ? 0 : await file.ReadAsync(buffer[..slice], cancellationToken);
        return Passed(buffer.Span[..n], slice);
    }

    /// <summary>The lower-case hex SHA-256 of the bytes read; call once, after the whole length was read.</summary>
    public string FinishHash() =>
        _read == length
            ? Convert.ToHexStringLower(_sha.GetHashAndReset())
            : throw new InvalidOperationException($"'{path}': {_read} of {length} bytes were read");

    private int Slice(int wanted) => (int)Math.Min(wanted, length - _read);

    private int Passed(ReadOnlySpan<byte> data, int asked)
    {
        if (data.Length == 0 && asked > 0)
        {
            throw new EngineException(FailureKind.Failed,
                $"'{path}' shrank from {length} bytes while it was read (pause its writer during the backup with the target's PreCommand)");
        }

        _sha.AppendData(data);
        _read += data.Length;
        return data.Length;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
            file.Dispose();
        }

        base.Dispose(disposing);
    }
}
