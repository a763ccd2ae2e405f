using BackupFunctions.Engines;
using BackupFunctions.Engines.Neo4j;
using BackupFunctions.IntegrationTests.Engines.Neo4j;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// Neo4j through the labelled fake (<see cref="FakeNeo4jServer"/>: no Neo4j server can run here; the
/// same round trip runs against a real one with scripts/neo4j-check.sh). The fake's password is the canary.
/// </summary>
internal sealed class Neo4jFixture : IEngineFixture
{
    private readonly FakeNeo4jServer _fake;
    private int _destinations;

    private Neo4jFixture(FakeNeo4jServer fake) => _fake = fake;

    public string Engine => "neo4j";

    public string? Secret => _fake.Password;

    public object Source => new { Engine = "neo4j", Connection = _fake.Connection("neo4j"), RestoreTest = new { Connection = _fake.Connection("scratch") } };

    public static async Task<IEngineFixture> CreateAsync()
    {
        var fake = await FakeNeo4jServer.StartAsync();
        fake.Password = $"canary{Guid.NewGuid():N}";
        await Load(fake, "neo4j", 300, replace: false);
        return new Neo4jFixture(fake);
    }

    public Task<object> NewDestinationAsync()
    {
        string name = $"dst{++_destinations}";
        _fake.Databases[name] = new FakeNeo4jServer.Graph();
        return Task.FromResult<object>(new { Engine = "neo4j", Connection = _fake.Connection(name) });
    }

    public Task MakeNonEmptyAsync(object destination) => Load(_fake, DatabaseOf(destination), 3, replace: false);

    /// <summary>Every node, relationship and schema rule of the database, as an export of it shows them, without element ids.</summary>
    public async Task<string> ContentAsync(object target)
    {
        using var export = new MemoryStream();
        await new Neo4jEngine().DumpAsync(_fake.Connection(DatabaseOf(target)), export, CancellationToken.None);
        var (nodes, relationships, schema) = Neo4jTestGraph.Content(export.ToArray());
        return string.Join('\n', nodes.Concat(relationships).Concat(schema));
    }

    /// <summary>6,000 nodes: the export reads them in several pages.</summary>
    public Task GrowAsync() => Load(_fake, "neo4j", 6000, replace: true);

    public ValueTask DisposeAsync() => _fake.DisposeAsync();

    private static Task Load(FakeNeo4jServer fake, string database, int nodes, bool replace) =>
        new Neo4jEngine().RestoreAsync(new MemoryStream(Neo4jTestGraph.Export(nodes)), fake.Connection(database), new RestoreOptions(replace), CancellationToken.None);

    private static string DatabaseOf(object target)
    {
        string connection = (string)target.GetType().GetProperty("Connection")!.GetValue(target)!;
        return connection[(connection.LastIndexOf("Database=", StringComparison.Ordinal) + "Database=".Length)..];
    }
}

public class Neo4jConformanceTests : EngineConformanceTests
{
    protected override Task<IEngineFixture> CreateFixtureAsync() => Neo4jFixture.CreateAsync();
}
