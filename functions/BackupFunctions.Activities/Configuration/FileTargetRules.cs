using BackupFunctions.Engines.Files;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// The settings of a files target: its Connection (and RestoreTest:Connection) an existing absolute directory, its
/// Include/Exclude usable globs, a CommandTimeout in range; and the files-only keys refused on any other engine.
/// </summary>
public static class FileTargetRules
{
    public const string Engine = "files";

    private static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromDays(1);

    /// <summary>One line per problem, each naming its key under <paramref name="key"/> (Backup:Targets:NAME).</summary>
    public static IEnumerable<string> Problems(string key, TargetOptions target)
    {
        if (!string.Equals(target.Engine.Trim(), Engine, StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (name, set) in FilesOnly(target).Where(s => s.Set))
            {
                yield return $"{key}:{name} applies to files targets only (remove it, or set Engine to files)";
            }

            yield break;
        }

        if (DirectoryProblem(target.Connection) is { } connection)
        {
            yield return $"{key}:Connection {connection}";
        }

        if (DirectoryProblem(target.RestoreTest?.Connection) is { } restoreTest)
        {
            yield return $"{key}:RestoreTest:Connection {restoreTest}";
        }

        foreach (var (name, patterns) in new[] { ("Include", target.Include), ("Exclude", target.Exclude) })
        {
            for (int i = 0; i < (patterns?.Count ?? 0); i++)
            {
                if (FileSelection.Problem(patterns![i]) is { } glob)
                {
                    yield return $"{key}:{name}:{i} {glob}";
                }
            }
        }

        if (target.CommandTimeout is { } timeout && (timeout < TimeSpan.FromSeconds(1) || timeout > MaxCommandTimeout))
        {
            yield return $"{key}:CommandTimeout {timeout} is out of range (00:00:01 to 1.00:00:00; default 00:05:00)";
        }
    }

    private static IEnumerable<(string Name, bool Set)> FilesOnly(TargetOptions t) =>
    [
        (nameof(t.Include), t.Include is not null),
        (nameof(t.Exclude), t.Exclude is not null),
        (nameof(t.PreCommand), t.PreCommand is not null),
        (nameof(t.PostCommand), t.PostCommand is not null),
        (nameof(t.CommandTimeout), t.CommandTimeout is not null),
    ];

    /// <summary>Null when <paramref name="path"/> is unset (another check reports a missing Connection) or an existing absolute directory.</summary>
    private static string? DirectoryProblem(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (!Path.IsPathFullyQualified(path))
        {
            return $"'{path}' is not an absolute path (a files target's Connection is its directory, e.g. /srv/app/config)";
        }

        return Directory.Exists(path) ? null : $"'{path}': no such directory (create it, or correct the path)";
    }
}
