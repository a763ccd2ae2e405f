namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// Neo4j over its HTTP APIs (see <see cref="Neo4jHttpClient"/>). The export is JSON Lines
/// (<see cref="Neo4jExportFormat"/>), streamed page by page with constant memory by
/// <see cref="Neo4jExporter"/>; verify is <see cref="Neo4jVerifier"/>, restore
/// <see cref="Neo4jImporter"/>, the restore-test database <see cref="Neo4jScratch"/>. See README.md in this folder.
/// </summary>
public sealed class Neo4jEngine : IDatabaseEngine
{
    public const string Format = Neo4jExportFormat.Name;
    public const string StatsKind = "nodesAndRelationships";

    private readonly string? _database;
    private readonly HttpMessageHandler? _handler;

    /// <param name="database">The target's Database setting, used when the connection names none.</param>
    /// <param name="handler">HTTP handler (tests); null for the default.</param>
    public Neo4jEngine(string? database = null, HttpMessageHandler? handler = null)
    {
        _database = database;
        _handler = handler;
    }

    public string Name => "neo4j";

    public string DataExtension => "neo4j.jsonl";

    public string Describe(string connection) => Parse(connection).Description;

    private Neo4jConnection Parse(string connection) => Neo4jConnection.Parse(connection, _database);

    public Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken) => Task.FromResult<long?>(null);

    public async Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken)
    {
        var target = Parse(connection);
        using var client = new Neo4jHttpClient(target, _handler);
        return await Neo4jExporter.ExportAsync(target, client, destination, cancellationToken);
    }

    public Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken) =>
        Neo4jVerifier.CheckAsync(dump, expected, cancellationToken);

    public async Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken)
    {
        if (options.Selected?.Unsupported(this) is { } unsupported)
        {
            throw new EngineException(FailureKind.Configuration, unsupported);
        }

        var target = Parse(destinationConnection);
        using var client = new Neo4jHttpClient(target, _handler);
        await Neo4jImporter.RestoreAsync(target, client, dump, options, cancellationToken);
    }

    public async Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken)
    {
        var target = Parse(connection);
        using var client = new Neo4jHttpClient(target, _handler);
        var counts = await Neo4jGuard.RunAsync(target, () => Neo4jCounts.ReadAsync(client, cancellationToken));
        return new SourceStats(StatsKind, counts.ToDictionary(), null);
    }

    /// <summary>
    /// An empty restore-test database (refused otherwise; the source's own database without RestoreTest), emptied
    /// again when disposed: see <see cref="Neo4jScratch"/>.
    /// </summary>
    public Task<IScratchDatabase> CreateScratchAsync(ScratchRequest request, CancellationToken cancellationToken)
    {
        string connection = request.RestoreTestConnection ?? request.SourceConnection;
        return Neo4jScratch.CreateAsync(this, connection, Parse(connection), _handler, cancellationToken);
    }
}
