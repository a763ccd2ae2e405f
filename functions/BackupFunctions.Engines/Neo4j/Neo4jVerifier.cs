namespace BackupFunctions.Engines.Neo4j;

/// <summary>Verify: every line parses, the sections come in order, and the end line and the manifest's counts match what was read.</summary>
internal static class Neo4jVerifier
{
    public static async Task<StructureCheck> CheckAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken)
    {
        var counted = new Neo4jCounts();
        try
        {
            await foreach (var line in Neo4jExportFormat.ReadAsync(dump, cancellationToken))
            {
                if (line.Kind == Neo4jLineKind.Node)
                {
                    counted.Node(Neo4jExportFormat.Labels(line.Json));
                }
                else if (line.Kind == Neo4jLineKind.Relationship)
                {
                    counted.Relationship(Neo4jExportFormat.Type(line.Json));
                }
            }
        }
        catch (InvalidDataException e)
        {
            return new StructureCheck(false, e.Message);
        }

        var (equal, detail) = StatsComparison.Compare(expected.Counts, counted.ToDictionary(), "manifest");
        return new StructureCheck(equal, equal
            ? $"{Neo4jExportFormat.Name}: every line parses, sections in order, {counted.Nodes} nodes and {counted.Relationships} relationships as the manifest says"
            : $"{Neo4jExportFormat.Name}: {detail}");
    }
}
