using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Neo4j;

/// <summary>Loads nodes and relationships in UNWIND batches, grouped by label set and by type.</summary>
internal sealed class Neo4jLoader(Neo4jHttpClient client, bool sample)
{
    private const int BatchSize = 500;
    private const int SampleSize = 20;

    private readonly List<JsonObject> _nodes = [];
    private readonly List<JsonObject> _relationships = [];
    private readonly List<JsonObject> _sample = [];
    private long _seen;

    public async Task AddAsync(Neo4jLine line, CancellationToken cancellationToken)
    {
        switch (line.Kind)
        {
            case Neo4jLineKind.Schema:
                try
                {
                    await client.RunAsync(line.Json["statement"]!.GetValue<string>(), null, cancellationToken);
                }
                catch (Neo4jQueryException e) when (e.Code.EndsWith("EquivalentSchemaRuleAlreadyExists", StringComparison.Ordinal))
                {
                    // already there (a replaced database keeps its schema)
                }

                break;
            case Neo4jLineKind.Node:
                _nodes.Add(line.Json);
                if (sample && _seen++ % 97 == 0 && _sample.Count < SampleSize)
                {
                    _sample.Add(line.Json);
                }

                if (_nodes.Count == BatchSize)
                {
                    await FlushNodesAsync(cancellationToken);
                }

                break;
            case Neo4jLineKind.Relationship:
                await FlushNodesAsync(cancellationToken);
                _relationships.Add(line.Json);
                if (_relationships.Count == BatchSize)
                {
                    await FlushRelationshipsAsync(cancellationToken);
                }

                break;
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await FlushNodesAsync(cancellationToken);
        await FlushRelationshipsAsync(cancellationToken);
    }

    private async Task FlushNodesAsync(CancellationToken cancellationToken)
    {
        foreach (var group in _nodes.GroupBy(n => string.Join('\u0001', Neo4jExportFormat.Labels(n))))
        {
            var labels = Neo4jExportFormat.Labels(group.First());
            var rows = group.Select(n => (JsonNode?)Neo4jTyped.Map(new JsonObject
            {
                ["id"] = Neo4jTyped.Text(n["id"]!.GetValue<string>()),
                ["properties"] = Neo4jTyped.Map(n["properties"]!.AsObject().DeepClone().AsObject()),
            }));
            await client.RunAsync(Neo4jStatements.CreateNodes(labels), new JsonObject { ["rows"] = Neo4jTyped.List(rows) }, cancellationToken);
        }

        _nodes.Clear();
    }

    private async Task FlushRelationshipsAsync(CancellationToken cancellationToken)
    {
        foreach (var group in _relationships.GroupBy(Neo4jExportFormat.Type))
        {
            var rows = group.Select(r => (JsonNode?)Neo4jTyped.Map(new JsonObject
            {
                ["start"] = Neo4jTyped.Text(r["start"]!.GetValue<string>()),
                ["end"] = Neo4jTyped.Text(r["end"]!.GetValue<string>()),
                ["properties"] = Neo4jTyped.Map(r["properties"]!.AsObject().DeepClone().AsObject()),
            }));
            await client.RunAsync(Neo4jStatements.CreateRelationships(group.Key), new JsonObject { ["rows"] = Neo4jTyped.List(rows) }, cancellationToken);
        }

        _relationships.Clear();
    }

    /// <summary>Sampled nodes read back must carry the same labels and properties, types included.</summary>
    public async Task CheckSampleAsync(CancellationToken cancellationToken)
    {
        if (_sample.Count == 0)
        {
            return;
        }

        var ids = Neo4jTyped.List(_sample.Select(s => (JsonNode?)Neo4jTyped.Text(s["id"]!.GetValue<string>())));
        var result = await client.RunAsync(Neo4jStatements.Sample, new JsonObject { ["ids"] = ids }, cancellationToken);
        var found = result.Rows.ToDictionary(r => Neo4jTyped.AsString(result.Get(r, "id")), StringComparer.Ordinal);
        foreach (var node in _sample)
        {
            string id = node["id"]!.GetValue<string>();
            if (!found.TryGetValue(id, out var row))
            {
                throw new EngineException(FailureKind.Failed, $"node {id} of the backup is missing after the restore");
            }

            var labels = Neo4jTyped.AsList(result.Get(row, "labels")).Select(l => Neo4jTyped.AsString(l)).Where(l => l != Neo4jStatements.RestoreLabel).Order(StringComparer.Ordinal);
            var properties = Neo4jTyped.AsMap(result.Get(row, "properties")).DeepClone().AsObject();
            properties.Remove(Neo4jStatements.RestoreProperty);
            bool sameLabels = labels.SequenceEqual(Neo4jExportFormat.Labels(node).Order(StringComparer.Ordinal));
            if (!sameLabels || !JsonNode.DeepEquals(properties, node["properties"]))
            {
                throw new EngineException(FailureKind.Failed, $"node {id} reads back different from the backup ({(sameLabels ? "properties" : "labels")} differ)");
            }
        }
    }
}
