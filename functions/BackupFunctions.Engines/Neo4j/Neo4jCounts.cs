namespace BackupFunctions.Engines.Neo4j;

/// <summary>Nodes per label and relationships per type: "nodes", "nodes/Person", "relationships", "relationships/KNOWS".</summary>
internal sealed class Neo4jCounts
{
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Nodes { get; set; }

    public long Relationships { get; set; }

    public void Add(string key, long n) => _counts[key] = _counts.GetValueOrDefault(key) + n;

    public void Node(IEnumerable<string> labels)
    {
        Nodes++;
        foreach (string label in labels)
        {
            Add($"nodes/{label}", 1);
        }
    }

    public void Relationship(string type)
    {
        Relationships++;
        Add($"relationships/{type}", 1);
    }

    public SortedDictionary<string, long> ToDictionary() =>
        new SortedDictionary<string, long>(_counts, StringComparer.Ordinal) { ["nodes"] = Nodes, ["relationships"] = Relationships };

    /// <summary>The database's counts, as the server reports them now.</summary>
    public static async Task<Neo4jCounts> ReadAsync(Neo4jHttpClient client, CancellationToken cancellationToken)
    {
        var counts = new Neo4jCounts { Nodes = await NodeCountAsync(client, cancellationToken) };
        foreach (var row in (await client.RunAsync(Neo4jStatements.LabelCounts, null, cancellationToken)).Rows)
        {
            counts.Add($"nodes/{Neo4jTyped.AsString(row[0])}", Neo4jTyped.AsLong(row[1]));
        }

        foreach (var row in (await client.RunAsync(Neo4jStatements.TypeCounts, null, cancellationToken)).Rows)
        {
            long n = Neo4jTyped.AsLong(row[1]);
            counts.Add($"relationships/{Neo4jTyped.AsString(row[0])}", n);
            counts.Relationships += n;
        }

        return counts;
    }

    public static async Task<long> NodeCountAsync(Neo4jHttpClient client, CancellationToken cancellationToken) =>
        Neo4jTyped.AsLong((await client.RunAsync(Neo4jStatements.NodeCount, null, cancellationToken)).Rows[0][0]);
}
