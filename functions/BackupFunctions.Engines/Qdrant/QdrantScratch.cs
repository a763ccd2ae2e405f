using System.Security.Cryptography;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// The restore test's destination: collections named <c>backupfn-restoretest-{random}-{collection}</c>
/// on the RestoreTest server (else the source's), so nothing of the source is touched; their stats
/// are read back under the backup's names, and disposing deletes every collection with the prefix.
/// </summary>
internal sealed class QdrantScratch(QdrantEngine engine, string connection, QdrantConnection parsed) : IScratchDatabase
{
    private readonly string _prefix = $"{QdrantCollections.ReservedPrefix}restoretest-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}-";

    public string Description => $"{parsed.Description} collections {_prefix}*";

    public Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken) =>
        engine.RestoreAsync(dump, connection, _prefix, options, cancellationToken);

    public async Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken)
    {
        using var client = await engine.ClientAsync(parsed, cancellationToken);
        var mine = (await client.ListCollectionsAsync(cancellationToken)).Where(c => c.StartsWith(_prefix, StringComparison.Ordinal));
        return await QdrantCollections.ReadStatsAsync(client, mine, c => c[_prefix.Length..], cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        using var client = await engine.ClientAsync(parsed, CancellationToken.None);
        foreach (string collection in (await client.ListCollectionsAsync(CancellationToken.None)).Where(c => c.StartsWith(_prefix, StringComparison.Ordinal)))
        {
            await client.DeleteCollectionAsync(collection, CancellationToken.None);
        }
    }
}
