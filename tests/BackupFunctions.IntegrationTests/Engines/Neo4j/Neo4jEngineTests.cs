using System.Text;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Neo4j;

namespace BackupFunctions.IntegrationTests.Engines.Neo4j;

/// <summary>
/// The Neo4j engine end to end over HTTP. The round trip runs against the labelled fake server, or
/// against a real Neo4j when NEO4J_URI is set (scripts/neo4j-check.sh; it wipes NEO4J_DATABASE). The
/// other tests need the fake: they inject failures a real server will not produce on demand.
/// </summary>
public class Neo4jEngineTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A real server from the environment, or null.</summary>
    private static string? RealConnection()
    {
        string? uri = Environment.GetEnvironmentVariable("NEO4J_URI");
        return string.IsNullOrEmpty(uri) ? null
            : $"Url={uri};User={Environment.GetEnvironmentVariable("NEO4J_USER")};Password={Environment.GetEnvironmentVariable("NEO4J_PASSWORD")};Database={Environment.GetEnvironmentVariable("NEO4J_DATABASE") ?? "neo4j"}";
    }

    private static async Task<byte[]> DumpAsync(Neo4jEngine engine, string connection, Action<DumpResult>? inspect = null)
    {
        using var dump = new MemoryStream();
        var result = await engine.DumpAsync(connection, dump, None);
        inspect?.Invoke(result);
        return dump.ToArray();
    }

    [Fact]
    [Trait("Category", "Neo4jRoundTrip")]
    public async Task RoundTrip_KeepsEveryTypedValueLabelsRelationshipsAndSchema_AcrossPages()
    {
        await using var fake = RealConnection() is null ? await FakeNeo4jServer.StartAsync() : null;
        string connection = RealConnection() ?? fake!.Connection();
        var engine = new Neo4jEngine();
        byte[] seed = Neo4jTestGraph.Export(2500); // 2.5 pages of nodes

        await engine.RestoreAsync(new MemoryStream(seed), connection, new RestoreOptions(Replace: true), None);
        DumpResult? first = null;
        byte[] dump1 = await DumpAsync(engine, connection, r => first = r);
        var check = await engine.CheckStructureAsync(new MemoryStream(dump1), first!.Stats, None);
        await engine.RestoreAsync(new MemoryStream(dump1), connection, new RestoreOptions(Replace: true), None);
        DumpResult? second = null;
        byte[] dump2 = await DumpAsync(engine, connection, r => second = r);

        Assert.True(check.IsValid, check.Detail);
        Assert.Equal(Neo4jEngine.Format, first.Format);
        Assert.StartsWith("query/v2; typed JSON", first.ToolVersion, StringComparison.Ordinal);
        Assert.Empty(first.Warnings!);
        Assert.Equal(2500, first.Stats.Counts["nodes"]);
        Assert.Equal(250, first.Stats.Counts["nodes/Admin"]);
        Assert.Equal(2499 + 357, first.Stats.Counts["relationships"]);
        Assert.Equal(357, first.Stats.Counts["relationships/WORKS_AT"]);
        Assert.Equal(first.Stats.Counts, second!.Stats.Counts);
        Assert.Equal(first.Stats.Counts, (await engine.ReadStatsAsync(connection, None)).Counts);
        var (nodes1, rels1, schema1) = Neo4jTestGraph.Content(dump1);
        var (nodes2, rels2, schema2) = Neo4jTestGraph.Content(dump2);
        Assert.Equal(nodes1, nodes2);
        Assert.Equal(rels1, rels2);
        Assert.Equal(schema1, schema2);
        Assert.Equal(2, schema1.Count);
        string text = Encoding.UTF8.GetString(dump1);
        foreach (string type in new[] { "Date", "LocalTime", "OffsetDateTime", "LocalDateTime", "Duration", "Point", "Base64", "Float", "Integer", "Boolean", "List" })
        {
            Assert.Contains($"\"$type\":\"{type}\"", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Neo4jStatements.RestoreLabel, text, StringComparison.Ordinal); // the temporary label and property are gone
        Assert.DoesNotContain(Neo4jStatements.RestoreProperty, text, StringComparison.Ordinal);
        if (fake is not null)
        {
            Assert.Equal(Neo4jTestGraph.Content(seed).Nodes, nodes1); // the fake keeps values as written: the seed itself comes back
            Assert.DoesNotContain(fake.Databases["neo4j"].Schema, s => s.Name == Neo4jStatements.RestoreIndex);
        }
    }

    [Fact]
    public async Task WithoutTheQueryApi_FallsBackToTxCommit_AndRecordsTheLostTypes()
    {
        await using var fake = await FakeNeo4jServer.StartAsync();
        fake.QueryApiEnabled = false;
        var engine = new Neo4jEngine();
        await engine.RestoreAsync(new MemoryStream(Neo4jTestGraph.Export(30)), fake.Connection(), new RestoreOptions(false), None);

        DumpResult? result = null;
        byte[] dump = await DumpAsync(engine, fake.Connection(), r => result = r);
        var check = await engine.CheckStructureAsync(new MemoryStream(dump), result!.Stats, None);

        Assert.True(check.IsValid, check.Detail);
        Assert.StartsWith("tx/commit; plain JSON", result.ToolVersion, StringComparison.Ordinal);
        Assert.Contains(result.Warnings!, w => w.StartsWith("exported through tx/commit (the Query API is not enabled)", StringComparison.Ordinal));
        Assert.Equal(30, result.Stats.Counts["nodes"]);
        var node = Encoding.UTF8.GetString(dump).Split('\n').First(l => l.Contains("\"key\":{\"$type\":\"Integer\",\"_value\":\"3\"}", StringComparison.Ordinal));
        Assert.Contains("\"born\":{\"$type\":\"String\",\"_value\":\"2024-02-29\"}", node, StringComparison.Ordinal); // a Date, as tx/commit can tell
        Assert.Contains("\"score\":{\"$type\":\"Integer\",\"_value\":\"2\"}", node, StringComparison.Ordinal); // the whole-number float
    }

    [Fact]
    public async Task Failures_AreOneLineErrorsThatNameTheProblem()
    {
        await using var fake = await FakeNeo4jServer.StartAsync();
        var engine = new Neo4jEngine();

        var auth = await Assert.ThrowsAsync<EngineException>(() => engine.ReadStatsAsync(fake.Connection(password: "wrong-pw-123"), None));
        var database = await Assert.ThrowsAsync<EngineException>(() => engine.ReadStatsAsync(fake.Connection(database: "nope"), None));
        fake.QueryApiEnabled = false;
        fake.FailWhen = s => s == Neo4jStatements.NodesPage; // tx/commit answers 200 with an errors array
        var inA200 = await Assert.ThrowsAsync<EngineException>(() => engine.DumpAsync(fake.Connection(), Stream.Null, None));
        var refused = await Assert.ThrowsAsync<EngineException>(() => engine.ReadStatsAsync("Url=http://127.0.0.1:1;Database=neo4j", None));
        var config = Assert.Throws<EngineException>(() => engine.Describe("Url=ftp://x;Database=neo4j"));

        Assert.Equal(FailureKind.Authentication, auth.Kind);
        Assert.Contains("refused the credentials of user 'neo4j'", auth.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pw-123", auth.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.NotFound, database.Kind);
        Assert.Contains("has no database 'nope'", database.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Failed, inA200.Kind);
        Assert.Contains("refused a statement: Neo.ClientError.Statement.SyntaxError", inA200.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Unavailable, refused.Kind);
        Assert.Equal(FailureKind.Configuration, config.Kind);
        Assert.All(new[] { auth, database, inA200, refused, config }, e => Assert.DoesNotContain('\n', e.Message));
    }

    [Fact]
    public async Task Restore_RefusesANonEmptyDatabase_AndABrokenExportLeavesNothingBehind()
    {
        await using var fake = await FakeNeo4jServer.StartAsync();
        var engine = new Neo4jEngine();
        byte[] seed = Neo4jTestGraph.Export(1200);
        await engine.RestoreAsync(new MemoryStream(seed), fake.Connection(), new RestoreOptions(false), None);

        var refused = await Assert.ThrowsAsync<EngineException>(() => engine.RestoreAsync(new MemoryStream(seed), fake.Connection(), new RestoreOptions(false), None));
        var truncated = await Assert.ThrowsAsync<EngineException>(() => engine.RestoreAsync(new MemoryStream(seed[..^200]), fake.Connection("scratch"), new RestoreOptions(false), None));
        var checksum = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RestoreAsync(new MemoryStream(seed), fake.Connection("scratch"),
            new RestoreOptions(false, VerifyBeforeSwap: _ => throw new InvalidOperationException("checksum mismatch")), None));

        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("is not empty (1200 nodes)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--replace", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1200, fake.Databases["neo4j"].Nodes.Count);
        Assert.Contains("nothing kept", truncated.Message, StringComparison.Ordinal);
        Assert.Equal("checksum mismatch", checksum.Message);
        Assert.Empty(fake.Databases["scratch"].Nodes); // both failed restores took out what they had loaded
        Assert.Empty(fake.Databases["scratch"].Relationships);
    }

    [Fact]
    public async Task Verify_FindsBrokenLinesSectionsOutOfOrderTruncationAndCountsThatDiffer()
    {
        var engine = new Neo4jEngine();
        byte[] seed = Neo4jTestGraph.Export(20);
        string[] lines = Encoding.UTF8.GetString(seed).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var stats = new SourceStats(Neo4jEngine.StatsKind, new Dictionary<string, long> { ["nodes"] = 20, ["relationships"] = 21, ["nodes/Person"] = 14, ["nodes/Admin"] = 2, ["nodes/Company"] = 6, ["relationships/KNOWS"] = 19, ["relationships/WORKS_AT"] = 2 }, null);
        async Task<StructureCheck> CheckAsync(IEnumerable<string> l) => await engine.CheckStructureAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", l) + "\n")), stats, None);

        var good = await CheckAsync(lines);
        var broken = await CheckAsync(lines.Select((l, i) => i == 7 ? l[..^5] : l));
        var order = await CheckAsync(lines.Where(l => !l.Contains("\"section\":\"nodes\"", StringComparison.Ordinal)));
        var truncated = await CheckAsync(lines[..^3]);
        var counts = await engine.CheckStructureAsync(new MemoryStream(seed), stats with { Counts = new Dictionary<string, long>(stats.Counts) { ["nodes/Admin"] = 3 } }, None);

        Assert.True(good.IsValid, good.Detail);
        Assert.Contains("line 8 is not valid JSON", broken.Detail, StringComparison.Ordinal);
        Assert.Contains("is not a valid schema line", order.Detail, StringComparison.Ordinal);
        Assert.Contains("truncated: no end line", truncated.Detail, StringComparison.Ordinal);
        Assert.Contains("nodes/Admin: 2 (manifest 3)", counts.Detail, StringComparison.Ordinal);
        Assert.All(new[] { broken, order, truncated, counts }, c => Assert.False(c.IsValid));
    }

    [Fact]
    public async Task AGraphThatChangesDuringTheExport_IsFlaggedInTheManifestWarnings()
    {
        await using var fake = await FakeNeo4jServer.StartAsync();
        var engine = new Neo4jEngine();
        await engine.RestoreAsync(new MemoryStream(Neo4jTestGraph.Export(50)), fake.Connection(), new RestoreOptions(false), None);
        fake.AfterStatement = (statement, graph) =>
        {
            if (statement == Neo4jStatements.RelationshipsPage)
            {
                graph.AddNode(["Late"], Neo4jTestGraph.Properties(999)); // a write while relationships are exported
            }
        };

        DumpResult? result = null;
        byte[] dump = await DumpAsync(engine, fake.Connection(), r => result = r);

        string warning = Assert.Single(result!.Warnings!);
        Assert.StartsWith("the graph changed during the export (not a snapshot): 50 nodes and 56 relationships at the start, 51 and 56 at the end; the export holds 50 and 56", warning, StringComparison.Ordinal);
        Assert.True((await engine.CheckStructureAsync(new MemoryStream(dump), result.Stats, None)).IsValid);
    }

    [Fact]
    public async Task Scratch_MustBeEmpty_AndIsEmptiedWithItsSchemaAfterwards()
    {
        await using var fake = await FakeNeo4jServer.StartAsync();
        var engine = new Neo4jEngine();
        await engine.RestoreAsync(new MemoryStream(Neo4jTestGraph.Export(10)), fake.Connection(), new RestoreOptions(false), None);

        var stats = new SourceStats(Neo4jEngine.StatsKind, new Dictionary<string, long>(), null);
        var busy = await Assert.ThrowsAsync<EngineException>(() => engine.CreateScratchAsync(new ScratchRequest(fake.Connection(), null, stats), None));
        await using (var scratch = await engine.CreateScratchAsync(new ScratchRequest(fake.Connection(), fake.Connection("scratch"), stats), None))
        {
            await scratch.RestoreAsync(new MemoryStream(Neo4jTestGraph.Export(10)), new RestoreOptions(false, ForTest: true), None);
            Assert.Equal(10, fake.Databases["scratch"].Nodes.Count);
        }

        Assert.Equal(FailureKind.Refused, busy.Kind);
        Assert.Contains("is not empty (10 nodes, 1 constraints)", busy.Message, StringComparison.Ordinal);
        Assert.Empty(fake.Databases["scratch"].Nodes);
        Assert.Empty(fake.Databases["scratch"].Schema);
    }
}
