namespace BackupFunctions.IntegrationTests.Engines.Qdrant;

/// <summary>What the Qdrant tests compare: everything the labelled fake holds, canonical.</summary>
internal static class QdrantTestData
{
    /// <summary>Per collection starting with <paramref name="prefix"/> (named without it): its vectors config and its points in id order.</summary>
    public static string Content(FakeQdrantServer fake, string prefix = "") =>
        string.Join("\n", fake.Collections.Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => $"{c.Key[prefix.Length..]} {c.Value.Vectors.ToJsonString()} {string.Join(",", c.Value.Points.Values.Select(p => p.ToJsonString()))}"));
}
