using System.Text;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// The per-file SHA-256 list stored as a files backup's last entry, in sha256sum's text format: <c>HEX␠␠PATH</c> per
/// line, and a path holding a backslash or a line break escaped (<c>\\</c>, <c>\n</c>, <c>\r</c>) with the line
/// prefixed by a backslash, so <c>sha256sum -c</c> can check an extracted tree too.
/// </summary>
internal static class FileSums
{
    public static byte[] Format(IEnumerable<(string Path, string Sha256)> sums)
    {
        var text = new StringBuilder();
        foreach (var (path, sha) in sums)
        {
            bool escape = path.AsSpan().IndexOfAny('\\', '\n', '\r') >= 0;
            text.Append(escape ? "\\" : "").Append(sha).Append("  ")
                .Append(escape ? path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) : path)
                .Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Path → lower-case hex SHA-256. Throws <see cref="InvalidDataException"/> on a malformed line or a path listed twice.</summary>
    public static Dictionary<string, string> Parse(string text)
    {
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            if (raw.Length == 0)
            {
                continue;
            }

            bool escaped = raw[0] == '\\';
            string line = escaped ? raw[1..] : raw;
            if (line.Length < 67 || line[64] != ' ' || line[65] != ' ' || !line[..64].All(char.IsAsciiHexDigitLower))
            {
                throw new InvalidDataException($"{FileSetArchive.SumsEntry} line {number} is not 'SHA256  PATH'");
            }

            string path = escaped ? Unescape(line[66..], number) : line[66..];
            if (!sums.TryAdd(path, line[..64]))
            {
                throw new InvalidDataException($"{FileSetArchive.SumsEntry} lists '{path}' twice");
            }
        }

        return sums;
    }

    /// <summary>Up to five differences between the stored list and the hashes found (empty when they agree), and how many there are.</summary>
    public static (int Count, string Detail) Compare(IReadOnlyDictionary<string, string> stored, IReadOnlyDictionary<string, string> found)
    {
        var problems = new List<string>();
        foreach (var (path, sha) in found.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!stored.TryGetValue(path, out string? expected))
            {
                problems.Add($"'{path}' is not in the stored SHA-256 list");
            }
            else if (!string.Equals(sha, expected, StringComparison.Ordinal))
            {
                problems.Add($"'{path}' has SHA-256 {sha[..12]}…, the stored list says {expected[..12]}…");
            }
        }

        problems.AddRange(stored.Keys.Where(p => !found.ContainsKey(p)).Order(StringComparer.Ordinal).Select(p => $"'{p}' is listed but missing"));
        return (problems.Count, problems.Count == 0 ? ""
            : $"{problems.Count} file(s) differ from the stored SHA-256 list: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? "; ..." : "")}");
    }

    private static string Unescape(string path, int number)
    {
        var text = new StringBuilder(path.Length);
        for (int i = 0; i < path.Length; i++)
        {
            if (path[i] != '\\')
            {
                text.Append(path[i]);
                continue;
            }

            text.Append(++i < path.Length ? path[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                'r' => '\r',
                _ => throw new InvalidDataException($"{FileSetArchive.SumsEntry} line {number} has an unknown escape '\\{path[i]}'"),
            } : throw new InvalidDataException($"{FileSetArchive.SumsEntry} line {number} ends in a lone backslash"));
        }

        return text.ToString();
    }
}
