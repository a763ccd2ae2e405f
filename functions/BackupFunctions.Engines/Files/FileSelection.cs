using Microsoft.Extensions.FileSystemGlobbing;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// Include and Exclude globs (Microsoft.Extensions.FileSystemGlobbing: <c>*</c>, <c>**</c>, <c>?</c>), matched
/// case-sensitively against '/'-separated paths relative to the target's directory. A file or link is selected when
/// an Include matches it (or none is given) and no Exclude does; an excluded directory is skipped whole.
/// </summary>
public sealed class FileSelection
{
    private readonly Matcher? _include;
    private readonly Matcher? _exclude;

    internal FileSelection(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        _include = include.Count == 0 ? null : Build(include);
        _exclude = exclude.Count == 0 ? null : Build(exclude);
    }

    /// <summary>Everything: what a restored tree is counted with.</summary>
    internal static FileSelection All { get; } = new([], []);

    /// <summary>True when no Include is given: every directory is kept, empty ones too.</summary>
    internal bool IncludesEverything => _include is null;

    internal bool Includes(string path) => _include is null || _include.Match(path).HasMatches;

    internal bool Excludes(string path) => _exclude is not null && _exclude.Match(path).HasMatches;

    /// <summary>Why <paramref name="pattern"/> cannot be used, or null when it can.</summary>
    public static string? Problem(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "is empty";
        }

        if (pattern.StartsWith('/') || pattern.StartsWith('\\'))
        {
            return $"'{pattern}' is absolute (patterns are relative to the target's directory, e.g. models/*.bin)";
        }

        if (pattern.Split('/', '\\').Contains(".."))
        {
            return $"'{pattern}' leaves the target's directory ('..')";
        }

        try
        {
            _ = Build([pattern]).Match("probe/file");
            return null;
        }
        catch (ArgumentException e)
        {
            return $"'{pattern}' is not a glob: {e.Message.Split('\n')[0].Trim()}";
        }
    }

    private static Matcher Build(IReadOnlyList<string> patterns)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (string p in patterns)
        {
            matcher.AddInclude(p);
        }

        return matcher;
    }
}
