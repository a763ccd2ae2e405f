namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// The restore-test database is the RestoreTest connection's database, which must be empty (no
/// nodes, no constraints): Neo4j Community has one database per server, so this is a second,
/// empty server or an empty database of an Enterprise server. Afterwards everything is deleted
/// and the schema dropped.
/// </summary>
internal sealed class Neo4jScratch(Neo4jEngine engine, string connection, Neo4jConnection parsed, HttpMessageHandler? handler) : IScratchDatabase
{
    public string Description => parsed.Description;

    public Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken) =>
        engine.RestoreAsync(dump, connection, options, cancellationToken);

    public Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken) => engine.ReadStatsAsync(connection, cancellationToken);

    public static async Task<IScratchDatabase> CreateAsync(Neo4jEngine engine, string connection, Neo4jConnection parsed, HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        using var client = new Neo4jHttpClient(parsed, handler);
        long nodes = await Neo4jGuard.RunAsync(parsed, () => Neo4jCounts.NodeCountAsync(client, cancellationToken));
        int constraints = (await Neo4jGuard.RunAsync(parsed, () => client.RunAsync(Neo4jStatements.Constraints, null, cancellationToken))).Rows.Count;
        return nodes == 0 && constraints == 0
            ? new Neo4jScratch(engine, connection, parsed, handler)
            : throw new EngineException(FailureKind.Refused,
                $"the restore-test database {parsed.Description} is not empty ({nodes} nodes, {constraints} constraints): restore tests need an empty database (set Targets:*:RestoreTest:Connection, with Database=)");
    }

    public async ValueTask DisposeAsync()
    {
        using var client = new Neo4jHttpClient(parsed, handler);
        await client.RunBatchesAsync(Neo4jStatements.DeleteBatch, CancellationToken.None);
        foreach (var row in (await client.RunAsync(Neo4jStatements.Constraints, null, CancellationToken.None)).Rows)
        {
            await client.RunAsync(Neo4jStatements.DropConstraint(Neo4jTyped.AsString(row[0])), null, CancellationToken.None);
        }

        foreach (var row in (await client.RunAsync(Neo4jStatements.Indexes, null, CancellationToken.None)).Rows)
        {
            await client.RunAsync(Neo4jStatements.DropIndex(Neo4jTyped.AsString(row[0])), null, CancellationToken.None);
        }
    }
}
