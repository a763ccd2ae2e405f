using System.Text.Json.Nodes;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// Which collections a target covers, and the statistics recorded for each. Statistics (kind
/// <see cref="StatsKind"/>): <c>{collection}</c> is the exact points count; the vector
/// configuration is a breakdown key per dense vector holding its size, <c>{collection}/vectors/{Distance}</c>
/// for the unnamed vector and <c>{collection}/vectors/{name}/{Distance}</c> for named ones (e.g.
/// <c>docs/vectors/Cosine = 384</c>), so a restore with another size or distance does not match.
/// Keys with a '/' are breakdowns: totals count points only.
/// </summary>
internal static class QdrantCollections
{
    public const string StatsKind = "pointsPerCollection";

    /// <summary>Collections whose names start with this are the engine's own (restore-test scratch, restore staging): never backed up as "all".</summary>
    public const string ReservedPrefix = "backupfn-";

    /// <summary>The configured collections (each must exist), or every collection except the engine's own when none are configured.</summary>
    public static async Task<IReadOnlyList<string>> SelectAsync(QdrantHttpClient client, QdrantConnection target, IReadOnlyList<string>? configured, CancellationToken cancellationToken)
    {
        var all = await client.ListCollectionsAsync(cancellationToken);
        if (configured is null || configured.Count == 0)
        {
            return all.Where(c => !c.StartsWith(ReservedPrefix, StringComparison.Ordinal)).ToList();
        }

        var missing = configured.Where(c => !all.Contains(c, StringComparer.Ordinal)).ToList();
        return missing.Count == 0
            ? configured.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()
            : throw new EngineException(FailureKind.NotFound,
                $"Qdrant at {target.Description} has no collection {string.Join(", ", missing.Select(c => $"'{c}'"))} (check Collections; the server has: {(all.Count == 0 ? "none" : string.Join(", ", all))})");
    }

    /// <summary>Adds a collection's counts: its points, and one key per dense vector with its size (see the class comment).</summary>
    public static void Add(IDictionary<string, long> counts, string name, long points, JsonNode? collectionInfo)
    {
        counts[name] = points;
        var vectors = collectionInfo?["config"]?["params"]?["vectors"];
        if (vectors is not JsonObject config)
        {
            return;
        }

        if (config["size"] is not null)
        {
            counts[$"{name}/vectors/{Distance(config)}"] = config["size"]!.GetValue<long>();
            return;
        }

        foreach (var (vector, parameters) in config)
        {
            if (parameters is JsonObject p && p["size"] is not null)
            {
                counts[$"{name}/vectors/{vector}/{Distance(p)}"] = p["size"]!.GetValue<long>();
            }
        }
    }

    /// <summary>The statistics of live collections, each recorded under <paramref name="nameOf"/> of its name.</summary>
    public static async Task<SourceStats> ReadStatsAsync(QdrantHttpClient client, IEnumerable<string> collections, Func<string, string> nameOf, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string collection in collections)
        {
            var info = await client.CollectionInfoAsync(collection, cancellationToken);
            if (info is not null)
            {
                Add(counts, nameOf(collection), await client.CountAsync(collection, cancellationToken), info);
            }
        }

        return new SourceStats(StatsKind, counts, null);
    }

    private static string Distance(JsonObject vector) => vector["distance"]?.GetValue<string>() ?? "unknown";
}
