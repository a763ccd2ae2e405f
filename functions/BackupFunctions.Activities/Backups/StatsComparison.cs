namespace BackupFunctions.Activities.Backups;

/// <summary>Compares the counts recorded at backup time with those read after a restore.</summary>
public static class StatsComparison
{
    /// <summary>
    /// Equal when every key has the same count on both sides; the detail names up to five differences.
    /// Keys with a '/' are breakdowns of another count (Redis "db0/hash" of "db0") and stay out of the total.
    /// </summary>
    public static (bool Equal, string Detail) Compare(IReadOnlyDictionary<string, long> expected, IReadOnlyDictionary<string, long> actual)
    {
        var differences = new List<string>();
        foreach (var (key, count) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!actual.TryGetValue(key, out long got))
            {
                differences.Add($"{key}: missing (expected {count})");
            }
            else if (got != count)
            {
                differences.Add($"{key}: {got} (expected {count})");
            }
        }

        foreach (string key in actual.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            differences.Add($"{key}: unexpected ({actual[key]})");
        }

        return differences.Count == 0
            ? (true, $"{expected.Count} counts match ({expected.Where(p => !p.Key.Contains('/', StringComparison.Ordinal)).Sum(p => p.Value)} in total)")
            : (false, $"{differences.Count} counts differ: {string.Join("; ", differences.Take(5))}{(differences.Count > 5 ? "; ..." : "")}");
    }
}
