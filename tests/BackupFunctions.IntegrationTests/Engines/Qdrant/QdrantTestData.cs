using System.Text.Json.Nodes;

namespace BackupFunctions.IntegrationTests.Engines.Qdrant;

/// <summary>Collections for the Qdrant tests: an unnamed-vector one and a named-vectors one, with payloads.</summary>
internal static class QdrantTestData
{
    /// <summary>Adds "docs" (4-dim Cosine, <paramref name="points"/> points) and "images" (named vectors "clip" 3-dim Dot and "text" 2-dim Euclid, half as many).</summary>
    public static void Seed(FakeQdrantServer fake, int points = 50)
    {
        var docs = new FakeQdrantServer.Collection(new JsonObject { ["size"] = 4, ["distance"] = "Cosine" });
        for (int i = 1; i <= points; i++)
        {
            docs.Points[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["id"] = i,
                ["vector"] = new JsonArray(i * 0.1, 0.2, 0.3, 0.4),
                ["payload"] = new JsonObject { ["title"] = $"document {i}", ["tags"] = new JsonArray("a", "b") },
            };
        }

        var images = new FakeQdrantServer.Collection(new JsonObject
        {
            ["clip"] = new JsonObject { ["size"] = 3, ["distance"] = "Dot" },
            ["text"] = new JsonObject { ["size"] = 2, ["distance"] = "Euclid" },
        });
        for (int i = 1; i <= points / 2; i++)
        {
            string id = $"00000000-0000-0000-0000-{i:D12}";
            images.Points[$"\"{id}\""] = new JsonObject
            {
                ["id"] = id,
                ["vector"] = new JsonObject { ["clip"] = new JsonArray(1.0, 0.5, i), ["text"] = new JsonArray(0.1, i) },
                ["payload"] = new JsonObject { ["file"] = $"img{i}.png" },
            };
        }

        fake.Collections["docs"] = docs;
        fake.Collections["images"] = images;
    }

    /// <summary>Everything a server holds, canonical: per collection its vectors config and its points in id order.</summary>
    public static string Content(FakeQdrantServer fake, string prefix = "") =>
        string.Join("\n", fake.Collections.Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => $"{c.Key[prefix.Length..]} {c.Value.Vectors.ToJsonString()} {string.Join(",", c.Value.Points.Values.Select(p => p.ToJsonString()))}"));
}
