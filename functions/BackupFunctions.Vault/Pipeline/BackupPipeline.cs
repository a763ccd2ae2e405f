namespace BackupFunctions.Vault.Pipeline;

/// <summary>Sizes and checksums of one pipeline run.</summary>
public sealed record PipelineResult(long RawBytes, long StoredBytes, string Sha256Raw, string Sha256Stored, int Blocks);

/// <summary>
/// Block size and upload parallelism: memory is about (MaxInFlight + 1) × BlockSize (80 MiB by default).
/// 16 MiB × 4 by measurement (Pipeline/README.md): fewer, larger Put Blocks cost both sides less CPU than 8 MiB.
/// </summary>
public sealed record PipelineOptions(int BlockSize = 16 * 1024 * 1024, int MaxInFlight = 4)
{
    public static PipelineOptions Default { get; } = new();
}

/// <summary>
/// The write side of a backup: raw bytes in, then SHA-256 (raw) → compress → SHA-256 (stored) →
/// block upload, all in one streaming pass with no temporary file. Write the dump to
/// <see cref="Input"/>, then call <see cref="CompleteAsync"/>.
/// </summary>
public sealed class BackupPipeline : IAsyncDisposable
{
    private readonly HashingStream _raw;
    private readonly Stream _compressor;
    private readonly HashingStream _stored;
    private readonly BlockUploadStream _blocks;
    private readonly Encryption.EncryptingStream? _encryptor;

    /// <param name="encryption">Key and key id for client-side encryption (after compression), or null.</param>
    public BackupPipeline(IBlockSink sink, CompressionKind compression, PipelineOptions? options = null, (byte[] Key, string KeyId)? encryption = null)
    {
        options ??= PipelineOptions.Default;
        _blocks = new BlockUploadStream(sink, options.BlockSize, options.MaxInFlight);
        _stored = new HashingStream(_blocks, leaveOpen: true);
        _encryptor = encryption is { } e ? new Encryption.EncryptingStream(_stored, e.Key, e.KeyId) : null;
        _compressor = Compression.Compressor(compression, (Stream?)_encryptor ?? _stored);
        _raw = new HashingStream(_compressor, leaveOpen: true);
    }

    /// <summary>Write the raw dump here.</summary>
    public Stream Input => _raw;

    /// <summary>Raw bytes accepted so far (for progress).</summary>
    public long RawBytes => _raw.BytesCount;

    /// <summary>Called with the raw byte count as data arrives.</summary>
    public Action<long>? Progress { get => _raw.Progress; set => _raw.Progress = value; }

    /// <summary>
    /// Flushes the compressor, uploads the last block and commits the blob, create-only, with
    /// <paramref name="metadata"/> plus the stored SHA-256 under the key "sha256".
    /// </summary>
    public async Task<PipelineResult> CompleteAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        string sha256Raw = _raw.FinishHash();
        await _compressor.DisposeAsync(); // writes the codec's final bytes onward
        if (_encryptor is not null)
        {
            await _encryptor.CompleteAsync(cancellationToken); // the final, authenticated frame
        }

        string sha256Stored = _stored.FinishHash();
        var withHash = new Dictionary<string, string>(metadata) { ["sha256"] = sha256Stored };
        int blocks = await _blocks.CompleteAsync(withHash, cancellationToken);
        return new PipelineResult(_raw.BytesCount, _stored.BytesCount, sha256Raw, sha256Stored, blocks);
    }

    /// <summary>Abandons an unfinished pipeline: nothing is committed, so no blob appears.</summary>
    public async ValueTask DisposeAsync()
    {
        await _blocks.DisposeAsync(); // first, so a codec flushing on dispose cannot stage more blocks
        try
        {
            await _compressor.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // The codec tried to flush into the abandoned upload: expected when abandoning.
        }

        await _raw.DisposeAsync();
        if (_encryptor is not null)
        {
            await _encryptor.DisposeAsync();
        }

        await _stored.DisposeAsync();
    }
}
