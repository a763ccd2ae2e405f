using System.Collections.Concurrent;
using System.IO.Compression;
using BackupFunctions.Streams;
using ZstdNet;

namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// How the dump is compressed in the pipeline. zstd level 1 on several threads is the default: measured
/// (scripts/bench.sh --only-codecs, 2026-11-29) at 0.52-0.56x Brotli q1's time for the same ratio and CPU, on
/// realistic and on random-looking data (README, Performance). Brotli and gzip stay selectable and readable.
/// </summary>
public enum CompressionKind
{
    Brotli,
    Gzip,
    None,

    /// <summary>
    /// Zstandard, level <see cref="Compression.ZstdLevel"/>: ZstdNet over the libzstd its package carries for each
    /// platform (linux, win, osx; x64 and arm64). It measured 0.75x the CPU of the managed port (ZstdSharp.Port)
    /// compressing and 0.6x decompressing, with identical output (docs/performance.md).
    /// </summary>
    Zstd,
}

/// <summary>Names, file suffixes and stream factories for each <see cref="CompressionKind"/>.</summary>
public static class Compression
{
    /// <summary>The manifest's name for a compression kind.</summary>
    public static string Name(CompressionKind kind) => kind switch
    {
        CompressionKind.Brotli => "brotli",
        CompressionKind.Gzip => "gzip",
        CompressionKind.None => "none",
        CompressionKind.Zstd => "zstd",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The zstd level of new backups (the reader needs none: a zstd frame is read the same at any level).</summary>
    public const int ZstdLevel = 1;

    /// <summary>zstd's own worker threads: one per core up to 4 (0, compress inline, on one core).</summary>
    public static int ZstdWorkers { get; } = Environment.ProcessorCount > 1 ? Math.Min(Environment.ProcessorCount, 4) : 0;

    /// <summary>Parses a manifest or configuration name; null when unknown.</summary>
    public static CompressionKind? Parse(string? name) => name?.Trim().ToUpperInvariant() switch
    {
        "BROTLI" or "BR" => CompressionKind.Brotli,
        "GZIP" or "GZ" => CompressionKind.Gzip,
        "NONE" => CompressionKind.None,
        "ZSTD" or "ZST" => CompressionKind.Zstd,
        _ => null,
    };

    /// <summary>Suffix added to the data blob name ("" for none).</summary>
    public static string Suffix(CompressionKind kind) => kind switch
    {
        CompressionKind.Brotli => ".br",
        CompressionKind.Gzip => ".gz",
        CompressionKind.Zstd => ".zst",
        _ => "",
    };

    /// <summary>A compressing stream over <paramref name="output"/>, which it leaves open.</summary>
    public static Stream Compressor(CompressionKind kind, Stream output) => kind switch
    {
        // Fastest = Brotli quality 1 / zlib level 1: the measured best speed for the ratio.
        CompressionKind.Brotli => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
        CompressionKind.Gzip => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        CompressionKind.None => new NonClosingStream(output),
        CompressionKind.Zstd => Zstd(output, ZstdLevel, ZstdWorkers),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// A zstd compressor at <paramref name="level"/> over <paramref name="output"/> (left open); <paramref name="workers"/>
    /// above 0 compresses on that many threads of zstd's own (the bench compares both).
    /// </summary>
    public static Stream Zstd(Stream output, int level, int workers) =>
        new CompressionStream(output, ZstdOptions.GetOrAdd((level, workers), key => new CompressionOptions(null,
            new Dictionary<ZSTD_cParameter, int> { [ZSTD_cParameter.ZSTD_c_nbWorkers] = key.Workers }, key.Level)));

    // CompressionOptions are thread-safe and meant to be shared; one per (level, workers) for the process's life.
    private static readonly ConcurrentDictionary<(int Level, int Workers), CompressionOptions> ZstdOptions = new();

    /// <summary>A decompressing stream over <paramref name="input"/>, which it leaves open.</summary>
    public static Stream Decompressor(CompressionKind kind, Stream input) => kind switch
    {
        // BrotliStream reports corrupt input as InvalidOperationException; make it InvalidDataException like GZipStream's.
        CompressionKind.Brotli => new DecodingStream(new BrotliStream(input, CompressionMode.Decompress, leaveOpen: true)),
        CompressionKind.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
        CompressionKind.None => new NonClosingStream(input),
        CompressionKind.Zstd => new ZstdDecoderStream(input),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Owns a decoder and reports its "invalid data" failures as <see cref="InvalidDataException"/>: BrotliStream throws
    /// InvalidOperationException for corrupt input.
    /// </summary>
    private sealed class DecodingStream(Stream decoder) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return decoder.Read(buffer, offset, count);
            }
            catch (Exception e) when (e is InvalidOperationException or EndOfStreamException)
            {
                throw new InvalidDataException(e.Message, e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await decoder.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or EndOfStreamException)
            {
                throw new InvalidDataException(e.Message, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                decoder.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Forwards everything but Dispose, so "no compression" has the same lifetime rules as a real codec.</summary>
    private sealed class NonClosingStream(Stream inner) : ForwardOnlyStream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanWrite => inner.CanWrite;
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);
    }
}
