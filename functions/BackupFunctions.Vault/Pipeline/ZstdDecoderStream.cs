using System.Buffers;
using System.Runtime.InteropServices;
using BackupFunctions.Streams;

namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// Decompresses zstd with the native libzstd that the ZstdNet package carries for each platform. Why not
/// ZstdNet's own DecompressionStream: it ends quietly when its input ends inside a frame, and a truncated
/// backup must read as undecodable (<see cref="InvalidDataException"/>), not as a shorter dump. This one keeps
/// the decoder's last hint (0 = a frame is complete and flushed) and refuses an input that ends elsewhere.
/// Corrupt input is an <see cref="InvalidDataException"/> naming libzstd's error. Leaves the input open.
/// </summary>
internal sealed partial class ZstdDecoderStream : ReadOnlyStream
{
    private const string Library = "libzstd"; // resolved from the ZstdNet package's runtimes/<rid>/native, as ZstdNet resolves it

    [LibraryImport(Library)]
    private static partial nint ZSTD_createDStream();

    [LibraryImport(Library)]
    private static partial nuint ZSTD_freeDStream(nint stream);

    [LibraryImport(Library)]
    private static partial nuint ZSTD_decompressStream(nint stream, ref NativeBuffer output, ref NativeBuffer input);

    [LibraryImport(Library)]
    private static partial uint ZSTD_isError(nuint code);

    [LibraryImport(Library)]
    private static partial nint ZSTD_getErrorName(nuint code);

    [LibraryImport(Library)]
    private static partial nuint ZSTD_DStreamInSize();

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct NativeBuffer
    {
        public void* Data;
        public nuint Size;
        public nuint Position;
    }

    private readonly Stream _input;
    private readonly byte[] _buffer;
    private int _count;
    private int _position;
    private bool _inputEnded;
    private nuint _hint; // 0 at the start and after each complete frame
    private nint _decoder;

    public ZstdDecoderStream(Stream input)
    {
        _input = input;
        _decoder = ZSTD_createDStream();
        if (_decoder == 0)
        {
            throw new InvalidOperationException("libzstd could not create a decompression context (out of memory)");
        }

        _buffer = ArrayPool<byte>.Shared.Rent((int)ZSTD_DStreamInSize());
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_decoder == 0, this);
        while (true)
        {
            if (_position == _count && !_inputEnded)
            {
                _count = _input.Read(_buffer);
                _position = 0;
                _inputEnded = _count == 0;
            }

            if (Decode(destination) is int produced)
            {
                return produced;
            }
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_decoder == 0, this);
        while (true)
        {
            if (_position == _count && !_inputEnded)
            {
                _count = await _input.ReadAsync(_buffer, cancellationToken);
                _position = 0;
                _inputEnded = _count == 0;
            }

            if (Decode(destination.Span) is int produced)
            {
                return produced;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>One decoder step: the bytes it produced, 0 at a clean end, or null when it needs more input.</summary>
    private unsafe int? Decode(Span<byte> destination)
    {
        if (destination.IsEmpty || (_inputEnded && _hint == 0))
        {
            return 0; // at the end of the input, the last frame complete and flushed
        }

        fixed (byte* source = _buffer)
        fixed (byte* target = destination)
        {
            var input = new NativeBuffer { Data = source, Size = (nuint)_count, Position = (nuint)_position };
            var output = new NativeBuffer { Data = target, Size = (nuint)destination.Length, Position = 0 };
            nuint hint = ZSTD_decompressStream(_decoder, ref output, ref input);
            if (ZSTD_isError(hint) != 0)
            {
                throw new InvalidDataException($"zstd: {Marshal.PtrToStringAnsi(ZSTD_getErrorName(hint))}");
            }

            _hint = hint;
            _position = (int)input.Position;
            if (output.Position > 0)
            {
                return (int)output.Position;
            }
        }

        if (_inputEnded && _position == _count)
        {
            return _hint == 0 ? 0 : throw new InvalidDataException("zstd: the data ends inside a frame (truncated)");
        }

        return null; // consumed input without output yet: read more
    }

    protected override void Dispose(bool disposing)
    {
        if (_decoder != 0)
        {
            ZSTD_freeDStream(_decoder);
            _decoder = 0;
            if (disposing)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }

        base.Dispose(disposing);
    }

    ~ZstdDecoderStream() => Dispose(false);
}
