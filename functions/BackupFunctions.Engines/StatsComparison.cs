namespace BackupFunctions.Engines;

/// <summary>
/// Compares the counts recorded at backup time with others: those read after a restore, or those
/// an engine's structure check found in the dump.
/// </summary>
public static class StatsComparison
{
    /// <summary>
    /// Equal when every key has the same count on both sides; the detail names up to five differences.
    /// Keys with a '/' are breakdowns of another count (Redis "db0/hash" of "db0") and stay out of the total.
    /// <paramref name="source"/> names where the expected counts come from in the detail ("expected", "manifest").
    /// </summary>
    public static (bool Equal, string Detail) Compare(IReadOnlyDictionary<string, long> expected, IReadOnlyDictionary<string, long> actual, string source = "expected")
    {
        var differences = new List<string>();
        foreach (var (key, count) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!actual.TryGetValue(key, out long got))
            {
                differences.Add($"{key}: missing ({source} {count})");
            }
            else if (got != count)
            {
                differences.Add($"{key}: {got} ({source} {count})");
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
