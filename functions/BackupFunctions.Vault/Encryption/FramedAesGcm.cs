using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using BackupFunctions.Streams;

namespace BackupFunctions.Vault.Encryption;

/// <summary>
/// The encrypted format (see README.md beside this file):
/// <code>
/// header: "BFE1" | chunkSize u32 | noncePrefix[4] | keyIdLength u8 | keyId (UTF-8)
/// frame:  length u32 | ciphertext[length] | tag[16]        (repeated; the last has the final flag)
/// nonce = noncePrefix | frameIndex u64;  AAD = header | frameIndex u64 | final u8
/// </code>
/// Every frame is authenticated with its index and whether it is the last, so a flipped byte, a
/// swapped or dropped frame, and a truncated stream all fail to decrypt.
/// </summary>
public static class FramedAesGcm
{
    public const string Algorithm = "AES-256-GCM-framed-v1";
    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int DefaultChunkSize = 1024 * 1024;
    internal static ReadOnlySpan<byte> Magic => "BFE1"u8;

    internal static byte[] Header(int chunkSize, ReadOnlySpan<byte> noncePrefix, string keyId)
    {
        byte[] id = Encoding.UTF8.GetBytes(keyId);
        if (id.Length is 0 or > 255)
        {
            throw new ArgumentException("key id must be 1-255 bytes", nameof(keyId));
        }

        var header = new byte[4 + 4 + 4 + 1 + id.Length];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)chunkSize);
        noncePrefix.CopyTo(header.AsSpan(8));
        header[12] = (byte)id.Length;
        id.CopyTo(header, 13);
        return header;
    }

    internal static void Nonce(Span<byte> nonce, ReadOnlySpan<byte> prefix, long index)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
    }

    internal static byte[] AssociatedData(byte[] header, long index, bool final)
    {
        var aad = new byte[header.Length + 9];
        header.CopyTo(aad, 0);
        BinaryPrimitives.WriteInt64BigEndian(aad.AsSpan(header.Length), index);
        aad[^1] = final ? (byte)1 : (byte)0;
        return aad;
    }

    /// <summary>A random 256-bit key, base64 (for a key file or a Key Vault secret).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeySize));
}

/// <summary>Write-only stream that encrypts into frames on <c>inner</c> (left open). Call <see cref="CompleteAsync"/> to write the final frame.</summary>
public sealed class EncryptingStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly AesGcm _aes;
    private readonly byte[] _header;
    private readonly byte[] _prefix = RandomNumberGenerator.GetBytes(4);
    private readonly byte[] _plain;
    private readonly byte[] _cipher;
    private int _filled;
    private long _index;
    private bool _headerWritten;
    private bool _completed;

    public EncryptingStream(Stream inner, ReadOnlySpan<byte> key, string keyId, int chunkSize = FramedAesGcm.DefaultChunkSize)
    {
        _inner = inner;
        _aes = new AesGcm(key, FramedAesGcm.TagSize);
        _header = FramedAesGcm.Header(chunkSize, _prefix, keyId);
        _plain = new byte[chunkSize];
        _cipher = new byte[chunkSize];
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _plain.Length - _filled);
            buffer.Span[..n].CopyTo(_plain.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            // Full chunks go out as ordinary frames; CompleteAsync writes the (possibly empty) final one.
            if (_filled == _plain.Length)
            {
                await WriteFrameAsync(final: false, cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Writes the last (possibly empty) frame with the final flag. Without it a reader reports truncation.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        await WriteFrameAsync(final: true, cancellationToken);
        _completed = true;
    }

    private async Task WriteFrameAsync(bool final, CancellationToken cancellationToken)
    {
        if (!_headerWritten)
        {
            await _inner.WriteAsync(_header, cancellationToken);
            _headerWritten = true;
        }

        var nonce = new byte[12];
        FramedAesGcm.Nonce(nonce, _prefix, _index);
        var tag = new byte[FramedAesGcm.TagSize];
        _aes.Encrypt(nonce, _plain.AsSpan(0, _filled), _cipher.AsSpan(0, _filled), tag, FramedAesGcm.AssociatedData(_header, _index, final));
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)_filled);
        await _inner.WriteAsync(length, cancellationToken);
        await _inner.WriteAsync(_cipher.AsMemory(0, _filled), cancellationToken);
        await _inner.WriteAsync(tag, cancellationToken);
        _index++;
        _filled = 0;
    }

    public override bool CanWrite => !_completed;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Read-only stream that decrypts the framed format from <c>inner</c>. Any tampering, reordering or
/// truncation surfaces as <see cref="InvalidDataException"/>; a key id the key ring does not know,
/// or a wrong key, as <see cref="CryptographicException"/> with a clear message.
/// </summary>
public sealed class DecryptingStream(Stream inner, Func<string, byte[]?> keyFor) : ReadOnlyStream
{
    private AesGcm? _aes;
    private byte[] _header = [];
    private byte[] _prefix = [];
    private byte[] _plain = [];
    private int _offset;
    private int _available;
    private long _index;
    private bool _final;

    /// <summary>The key id named by the header (after the first read).</summary>
    public string? KeyId { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_available == 0)
        {
            if (_final)
            {
                if (await inner.ReadAsync(new byte[1], cancellationToken) != 0)
                {
                    throw new InvalidDataException("encrypted stream has data after its final frame");
                }

                return 0;
            }

            await ReadFrameAsync(cancellationToken);
        }

        int n = Math.Min(buffer.Length, _available);
        _plain.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        _available -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private async Task ReadFrameAsync(CancellationToken cancellationToken)
    {
        if (_aes is null)
        {
            await ReadHeaderAsync(cancellationToken);
        }

        var length = new byte[4];
        if (!await FillAsync(length, allowEnd: true, cancellationToken))
        {
            throw new InvalidDataException($"encrypted stream is truncated: it ends after frame {_index} without the final frame");
        }

        int size = (int)BinaryPrimitives.ReadUInt32BigEndian(length);
        if (size > _plain.Length)
        {
            throw new InvalidDataException($"encrypted frame {_index} claims {size} bytes, more than the chunk size {_plain.Length}");
        }

        var cipher = new byte[size];
        var tag = new byte[FramedAesGcm.TagSize];
        if (!await FillAsync(cipher, allowEnd: false, cancellationToken) || !await FillAsync(tag, allowEnd: false, cancellationToken))
        {
            throw new InvalidDataException($"encrypted stream is truncated inside frame {_index}");
        }

        var nonce = new byte[12];
        FramedAesGcm.Nonce(nonce, _prefix, _index);
        // A frame authenticates as either final or not: try "not final" first, the common case.
        foreach (bool final in new[] { false, true })
        {
            try
            {
                _aes!.Decrypt(nonce, cipher, tag, _plain.AsSpan(0, size), FramedAesGcm.AssociatedData(_header, _index, final));
                _final = final;
                _offset = 0;
                _available = size;
                _index++;
                return;
            }
            catch (AuthenticationTagMismatchException)
            {
                // try the other flag, then give up
            }
        }

        throw new InvalidDataException(_index == 0
            ? $"encrypted frame 0 does not authenticate: wrong key for key id '{KeyId}', or the data was altered"
            : $"encrypted frame {_index} does not authenticate: the data was altered, reordered or cut");
    }

    private async Task ReadHeaderAsync(CancellationToken cancellationToken)
    {
        var fixedPart = new byte[13];
        if (!await FillAsync(fixedPart, allowEnd: false, cancellationToken) || !fixedPart.AsSpan(0, 4).SequenceEqual(FramedAesGcm.Magic))
        {
            throw new InvalidDataException("not an encrypted backup (bad header)");
        }

        var id = new byte[fixedPart[12]];
        if (!await FillAsync(id, allowEnd: false, cancellationToken))
        {
            throw new InvalidDataException("encrypted header is truncated");
        }

        KeyId = Encoding.UTF8.GetString(id);
        byte[] key = keyFor(KeyId) ?? throw new CryptographicException($"no key with id '{KeyId}' is configured (add it to Backup:EncryptionKeys; old keys must stay for old backups)");
        _aes = new AesGcm(key, FramedAesGcm.TagSize);
        _header = [.. fixedPart, .. id];
        _prefix = fixedPart[8..12];
        _plain = new byte[BinaryPrimitives.ReadUInt32BigEndian(fixedPart.AsSpan(4))];
    }

    private async Task<bool> FillAsync(byte[] target, bool allowEnd, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < target.Length)
        {
            int n = await inner.ReadAsync(target.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return allowEnd && read == 0 ? false : read == target.Length;
            }

            read += n;
        }

        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes?.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }

        base.Dispose(disposing);
    }
}
