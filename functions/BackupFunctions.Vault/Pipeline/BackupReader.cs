using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// The read side of a stored backup: download → read-ahead → SHA-256 (stored) → decompress → read-ahead →
/// SHA-256 (raw), one streaming pass on three threads: the download (network, TLS), the decompression with
/// the stored bytes' hash, and the reader of <see cref="Raw"/> with the raw bytes' hash. Whoever reads
/// <see cref="Raw"/> may stop early; <see cref="FinishAsync"/> drains the rest and compares sizes and
/// checksums with the manifest.
/// </summary>
public sealed class BackupReader : IAsyncDisposable
{
    private readonly BackupManifest _manifest;
    private readonly ReadAheadStream _download;
    private readonly HashingStream _stored;
    private readonly Vault.Encryption.DecryptingStream? _decryptor;
    private readonly Stream _decompressor;
    private readonly ReadAheadStream _decompressed;
    private readonly HashingStream _raw;

    /// <param name="key">The key of an encrypted backup (its manifest names the key id); null when not encrypted.</param>
    public BackupReader(BackupManifest manifest, Stream download, byte[]? key = null)
    {
        _manifest = manifest;
        // The download runs ahead on its own task while this reader decompresses and hashes (docs: the pipeline's README).
        _download = new ReadAheadStream(download);
        _stored = new HashingStream(_download, leaveOpen: true);
        var kind = Compression.Parse(manifest.Compression)
            ?? throw new InvalidDataException($"manifest of {manifest.Id} names an unknown compression '{manifest.Compression}'");
        if (manifest.Encryption is { } encryption)
        {
            _decryptor = new Vault.Encryption.DecryptingStream(_stored, id => id == encryption.KeyId ? key : null);
        }

        _decompressor = Compression.Decompressor(kind, (Stream?)_decryptor ?? _stored);
        // The decompressor (and the stored hash it pulls through) on a thread of its own, the raw hash on the reader's.
        _decompressed = new ReadAheadStream(_decompressor, dedicatedThread: true);
        _raw = new HashingStream(_decompressed, leaveOpen: true);
    }

    /// <summary>The decompressed dump, as the engine wrote it.</summary>
    public Stream Raw => _raw;

    /// <summary>Set by a reader of <see cref="Raw"/> that hit undecodable data, so the verdict can say so.</summary>
    public string? DecodeError { get; set; }

    /// <summary>Called with the stored byte count as data arrives.</summary>
    public Action<long>? Progress { get => _stored.Progress; set => _stored.Progress = value; }

    /// <summary>Stored bytes read so far (for progress against the manifest's StoredBytes).</summary>
    public long StoredBytesRead => _stored.BytesCount;

    /// <summary>
    /// Reads whatever is left and compares with the manifest: stored size and SHA-256 first (the
    /// bytes in the vault), then raw size and SHA-256 (the bytes the engine wrote).
    /// </summary>
    public async Task<VerificationResult> FinishAsync(CancellationToken cancellationToken)
    {
        string? decodeError = DecodeError;
        if (decodeError is null)
        {
            try
            {
                await _raw.CopyToAsync(Stream.Null, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                decodeError = e.Message;
            }
        }

        // The decompressing thread must be done with the stored stream before this one reads it: after a decode
        // error it has already stopped; after a reader's early stop it decompresses to the end here.
        try
        {
            await _decompressed.CopyToAsync(Stream.Null, cancellationToken);
        }
        catch (InvalidDataException)
        {
            // already recorded above, or seen by the reader of Raw
        }

        // Bytes after the codec's end (or after a decode error) still count for the stored checksum.
        await _stored.CopyToAsync(Stream.Null, cancellationToken);
        return Compare(decodeError);
    }

    private VerificationResult Compare(string? decodeError)
    {
        string storedHash = _stored.FinishHash();
        if (_stored.BytesCount != _manifest.StoredBytes)
        {
            return new VerificationResult(VerificationStatus.SizeMismatch,
                $"stored size is {_stored.BytesCount} bytes, the manifest says {_manifest.StoredBytes}");
        }

        if (!string.Equals(storedHash, _manifest.Sha256Stored, StringComparison.OrdinalIgnoreCase))
        {
            return new VerificationResult(VerificationStatus.ChecksumMismatch,
                $"SHA-256 of the stored blob is {storedHash}, the manifest says {_manifest.Sha256Stored}");
        }

        if (decodeError is not null)
        {
            return new VerificationResult(VerificationStatus.StructureInvalid, $"the stored blob does not decompress: {decodeError}");
        }

        string rawHash = _raw.FinishHash();
        if (_raw.BytesCount != _manifest.RawBytes)
        {
            return new VerificationResult(VerificationStatus.SizeMismatch,
                $"decompressed size is {_raw.BytesCount} bytes, the manifest says {_manifest.RawBytes}");
        }

        return string.Equals(rawHash, _manifest.Sha256Raw, StringComparison.OrdinalIgnoreCase)
            ? VerificationResult.Ok($"SHA-256 and size match ({_manifest.StoredBytes} bytes stored, {_manifest.RawBytes} raw)")
            : new VerificationResult(VerificationStatus.ChecksumMismatch,
                $"SHA-256 of the decompressed dump is {rawHash}, the manifest says {_manifest.Sha256Raw}");
    }

    public async ValueTask DisposeAsync()
    {
        // The download stops first, so a decompressing thread waiting for it ends instead of waiting for the network.
        await _download.StopAsync();
        await _raw.DisposeAsync();
        await _decompressed.DisposeAsync(); // and the decompressor inside it
        if (_decryptor is not null)
        {
            await _decryptor.DisposeAsync();
        }

        await _stored.DisposeAsync();
        await _download.DisposeAsync();
    }
}
