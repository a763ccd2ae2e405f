using System.Formats.Tar;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// The backup format <c>backupfn-qdrant-v1</c>: a tar (PAX) stream holding one regular-file entry
/// <c>{collection}.snapshot</c> per collection, in name order, each the unchanged snapshot file Qdrant
/// served (itself a tar). Written while the snapshots download, one after another, with no
/// temporary file; read the same way for verify and restore.
/// </summary>
internal static class QdrantArchive
{
    public const string Format = "backupfn-qdrant-v1";
    private const string Suffix = ".snapshot";

    /// <summary>
    /// Writes one collection's snapshot, streamed from <paramref name="snapshot"/>, which must hold exactly <paramref name="length"/>
    /// bytes; a read that fails or ends early is an Unavailable engine failure that starts with <paramref name="download"/> (e.g. "the download of ...").
    /// </summary>
    public static Task WriteAsync(TarWriter writer, string collection, Stream snapshot, long length, string download, CancellationToken cancellationToken) =>
        writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, collection + Suffix) { DataStream = new KnownLengthStream(snapshot, length, download) }, cancellationToken);

    /// <summary>The collection an entry holds; throws InvalidDataException for anything but a <c>.snapshot</c> file.</summary>
    public static string CollectionOf(TarEntry entry) =>
        entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.Name.EndsWith(Suffix, StringComparison.Ordinal) && entry.Name.Length > Suffix.Length && !entry.Name.Contains('/', StringComparison.Ordinal)
            ? entry.Name[..^Suffix.Length]
            : throw new InvalidDataException($"not a {Format} archive: unexpected entry '{entry.Name}' ({entry.EntryType})");

    /// <summary>
    /// A download of known length, read once from the start. TarWriter writes the entry size into
    /// the header before the data, and into a forward-only output only for a data stream that says
    /// it can seek (it reads Length and Position, never seeks): so this one says so. A stream that
    /// ends early would leave a short entry: that is an engine failure instead.
    /// </summary>
    private sealed class KnownLengthStream(Stream inner, long length, string download) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                int n = _position >= length ? 0 : inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _position)]);
                return Advance(n, buffer.Length);
            }
            catch (IOException e)
            {
                throw BrokeOff(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                int n = _position >= length ? 0 : await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _position)], cancellationToken);
                return Advance(n, buffer.Length);
            }
            catch (IOException e)
            {
                throw BrokeOff(e);
            }
        }

        private EngineException BrokeOff(IOException e) =>
            new(FailureKind.Unavailable, $"{download} broke off after {_position} of {length} bytes: {e.Message}", e);

        private int Advance(int n, int asked)
        {
            if (n == 0 && asked > 0 && _position < length)
            {
                throw new EngineException(FailureKind.Unavailable, $"{download} ended after {_position} of {length} bytes");
            }

            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() { }
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
