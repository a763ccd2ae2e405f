namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// Qdrant over its REST API (see <see cref="QdrantHttpClient"/>): per collection a server-side
/// snapshot, streamed into one tar (<see cref="QdrantArchive"/>) by <see cref="QdrantExporter"/> and
/// deleted afterwards; verify is <see cref="QdrantVerifier"/>, restore <see cref="QdrantImporter"/>
/// (snapshot upload), the restore test <see cref="QdrantScratch"/> (prefixed collections). See README.md in this folder.
/// </summary>
public sealed class QdrantEngine : IDatabaseEngine
{
    public const string Format = QdrantArchive.Format;
    public const string StatsKind = QdrantCollections.StatsKind;

    private readonly IReadOnlyList<string>? _collections;
    private readonly Func<CancellationToken, Task<string?>>? _apiKey;
    private readonly HttpMessageHandler? _handler;

    /// <param name="collections">The target's Collections setting; null or empty for every collection.</param>
    /// <param name="apiKey">Gives the API key (the target's ApiKey, or its ApiKeySecret read from Key Vault) when a request is made; null for none.</param>
    /// <param name="handler">HTTP handler (tests); null for the default.</param>
    public QdrantEngine(IReadOnlyList<string>? collections = null, Func<CancellationToken, Task<string?>>? apiKey = null, HttpMessageHandler? handler = null)
    {
        _collections = collections;
        _apiKey = apiKey;
        _handler = handler;
    }

    public string Name => "qdrant";

    public string DataExtension => "qdrant.tar";

    public string Describe(string connection) => QdrantConnection.Parse(connection).Description;

    public Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken) => Task.FromResult<long?>(null);

    public async Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken)
    {
        var target = QdrantConnection.Parse(connection);
        using var client = await ClientAsync(target, cancellationToken);
        return await QdrantExporter.ExportAsync(target, client, _collections, destination, cancellationToken);
    }

    public Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken) =>
        QdrantVerifier.CheckAsync(dump, expected, cancellationToken);

    public Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken) =>
        RestoreAsync(dump, destinationConnection, "", options, cancellationToken);

    /// <summary>Restores every collection of the archive as <paramref name="prefix"/> + its name.</summary>
    internal async Task RestoreAsync(Stream dump, string destinationConnection, string prefix, RestoreOptions options, CancellationToken cancellationToken)
    {
        var target = QdrantConnection.Parse(destinationConnection);
        using var client = await ClientAsync(target, cancellationToken);
        await new QdrantImporter(target, client, prefix).RestoreAsync(dump, options, cancellationToken);
    }

    public async Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken)
    {
        var target = QdrantConnection.Parse(connection);
        using var client = await ClientAsync(target, cancellationToken);
        var collections = await QdrantCollections.SelectAsync(client, target, _collections, cancellationToken);
        return await QdrantCollections.ReadStatsAsync(client, collections, c => c, cancellationToken);
    }

    /// <summary>Prefixed collections on the RestoreTest server, else on the source's: see <see cref="QdrantScratch"/>.</summary>
    public Task<IScratchDatabase> CreateScratchAsync(ScratchRequest request, CancellationToken cancellationToken)
    {
        string connection = request.RestoreTestConnection ?? request.SourceConnection;
        return Task.FromResult<IScratchDatabase>(new QdrantScratch(this, connection, QdrantConnection.Parse(connection)));
    }

    internal async Task<QdrantHttpClient> ClientAsync(QdrantConnection target, CancellationToken cancellationToken) =>
        new(target, _apiKey is null ? null : await _apiKey(cancellationToken), _handler);
}
