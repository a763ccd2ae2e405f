using System.Text.Json.Nodes;
using BackupFunctions.IntegrationTests.Engines.Qdrant;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// Qdrant through the labelled fake (<see cref="FakeQdrantServer"/>: no Qdrant server can run here; the
/// same round trip runs against a real one with scripts/qdrant-check.sh). Each destination is a fake server
/// of its own; the API key, which every server requires, is the canary.
/// </summary>
internal sealed class QdrantFixture : IEngineFixture
{
    private readonly FakeQdrantServer _source;
    private readonly string _key;
    private readonly List<FakeQdrantServer> _destinations = [];

    private QdrantFixture(FakeQdrantServer source, string key)
    {
        _source = source;
        _key = key;
    }

    public string Engine => "qdrant";

    public string? Secret => _key;

    public object Source => Target(_source);

    public static async Task<IEngineFixture> CreateAsync()
    {
        string key = $"canary{Guid.NewGuid():N}";
        var source = await FakeQdrantServer.StartAsync();
        source.ApiKey = key;
        using var rest = new QdrantRest(source.Connection, key);
        await rest.SeedAsync("", 200);
        return new QdrantFixture(source, key);
    }

    public async Task<object> NewDestinationAsync()
    {
        var destination = await FakeQdrantServer.StartAsync();
        destination.ApiKey = _key;
        _destinations.Add(destination);
        return Target(destination);
    }

    /// <summary>A "docs" collection of another shape: the restore meets a collection of the backup that already exists.</summary>
    public async Task MakeNonEmptyAsync(object destination)
    {
        using var rest = new QdrantRest(ConnectionOf(destination), _key);
        await rest.CreateAsync("docs", new JsonObject { ["size"] = 2, ["distance"] = "Dot" }, [new JsonObject { ["id"] = 7, ["vector"] = new JsonArray(1.0, 2.0) }]);
    }

    /// <summary>Every collection with its vectors config and every point (id, vectors, payload), in order.</summary>
    public Task<string> ContentAsync(object target) =>
        Task.FromResult(QdrantTestData.Content(_destinations.Append(_source).Single(s => s.Connection == ConnectionOf(target))));

    /// <summary>6,000 points, served by the fake at a slow pace (64 KiB every 400 ms): the dump takes several seconds.</summary>
    public async Task GrowAsync()
    {
        using var rest = new QdrantRest(_source.Connection, _key);
        await rest.SeedAsync("big", 6000);
        _source.DownloadPause = TimeSpan.FromMilliseconds(400);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _destinations.Append(_source))
        {
            await server.DisposeAsync();
        }
    }

    private object Target(FakeQdrantServer server) => new { Engine = "qdrant", server.Connection, ApiKey = _key };

    private static string ConnectionOf(object target) => (string)target.GetType().GetProperty("Connection")!.GetValue(target)!;
}

public class QdrantConformanceTests : EngineConformanceTests
{
    protected override Task<IEngineFixture> CreateFixtureAsync() => QdrantFixture.CreateAsync();
}
