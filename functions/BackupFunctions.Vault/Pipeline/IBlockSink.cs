namespace BackupFunctions.Vault.Pipeline;

/// <summary>
/// Where the pipeline's stored bytes go: one blob built from staged blocks and committed once.
/// </summary>
public interface IBlockSink
{
    /// <summary>
    /// Stages one block. May be called concurrently for different ids. Retry-safe: staging the same
    /// id with the same bytes again is harmless. Nothing is visible until <see cref="CommitAsync"/>.
    /// </summary>
    Task StageBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Commits the staged blocks, in order, as a new blob with this metadata. Create-only: fails when
    /// a blob of that name already exists, and never overwrites it.
    /// </summary>
    Task CommitAsync(IReadOnlyList<string> blockIds, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);
}
