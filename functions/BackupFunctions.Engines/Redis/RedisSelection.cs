using System.Text;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Selective restore for Redis: <c>--db N</c> restores only database N of the dump (into database
/// defaultDatabase + N, as a whole restore would) and <c>--match PATTERN</c> only the keys matching a Redis glob
/// (*, ?, [abc], [^a], [a-z], \x). The whole dump is still read, so its checksums are verified.
/// </summary>
internal static class RedisSelection
{
    public static IReadOnlyList<RestoreFilter> Filters { get; } = [RestoreFilter.Database, RestoreFilter.Match];

    /// <summary>True when <paramref name="entry"/> is part of the selection (every entry without one).</summary>
    public static bool Selects(RestoreSelection? selection, Rdb.RedisEntry entry) =>
        selection is null
        || ((selection.Database is not { } db || entry.Database == db)
            && (selection.Match is not { } pattern || GlobMatch(pattern, Encoding.Latin1.GetString(entry.Key))));

    /// <summary>The backup's counts of the selected database; null with --match (the manifest does not count keys by name).</summary>
    public static SourceStats? Expected(SourceStats backup, RestoreSelection selection)
    {
        if (selection.Match is not null)
        {
            return null;
        }

        string db = $"db{selection.Database}";
        var counts = backup.Counts.Where(c => c.Key == db || c.Key.StartsWith(db + "/", StringComparison.Ordinal))
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return new SourceStats(backup.Kind, counts, null);
    }

    /// <summary>Redis's glob (stringmatchlen): the pattern is read as UTF-8 bytes, the key as its bytes (both as Latin-1 characters).</summary>
    public static bool GlobMatch(string pattern, string key) => Match(Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(pattern)), 0, key, 0);

    private static bool Match(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            switch (p[pi])
            {
                case '*':
                    while (pi + 1 < p.Length && p[pi + 1] == '*')
                    {
                        pi++;
                    }

                    if (pi + 1 == p.Length)
                    {
                        return true;
                    }

                    for (int k = si; k <= s.Length; k++)
                    {
                        if (Match(p, pi + 1, s, k))
                        {
                            return true;
                        }
                    }

                    return false;
                case '?':
                    if (si >= s.Length)
                    {
                        return false;
                    }

                    si++;
                    break;
                case '[':
                    if (si >= s.Length)
                    {
                        return false;
                    }

                    pi++;
                    bool negate = pi < p.Length && p[pi] == '^';
                    if (negate)
                    {
                        pi++;
                    }

                    bool matched = false;
                    while (pi < p.Length && p[pi] != ']')
                    {
                        if (p[pi] == '\\' && pi + 1 < p.Length)
                        {
                            pi++;
                            matched |= p[pi] == s[si];
                        }
                        else if (pi + 2 < p.Length && p[pi + 1] == '-' && p[pi + 2] != ']')
                        {
                            char lo = (char)Math.Min(p[pi], p[pi + 2]), hi = (char)Math.Max(p[pi], p[pi + 2]);
                            matched |= s[si] >= lo && s[si] <= hi;
                            pi += 2;
                        }
                        else
                        {
                            matched |= p[pi] == s[si];
                        }

                        pi++;
                    }

                    if (matched == negate)
                    {
                        return false;
                    }

                    si++;
                    break;
                case '\\' when pi + 1 < p.Length:
                    pi++;
                    if (si >= s.Length || p[pi] != s[si])
                    {
                        return false;
                    }

                    si++;
                    break;
                default:
                    if (si >= s.Length || p[pi] != s[si])
                    {
                        return false;
                    }

                    si++;
                    break;
            }

            pi++;
        }

        return si == s.Length;
    }
}
