using BackupFunctions.Activities.Configuration;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>
/// A notice per target that has no Retention section: what prune keeps then is the default policy,
/// said aloud so that a policy the user thought they set (or misspelt) is not assumed in silence.
/// </summary>
internal static class DefaultRetentionText
{
    public static IEnumerable<string> Lines(BackupOptions options, IEnumerable<string> targets)
    {
        var d = new RetentionOptions();
        foreach (string name in targets.Distinct(StringComparer.Ordinal))
        {
            if (options.Targets.TryGetValue(name, out var target) && target.Retention is null)
            {
                yield return $"{name}: no Retention configured; using the default: KeepLast {d.KeepLast}, KeepDaily {d.KeepDaily}, KeepWeekly {d.KeepWeekly}, " +
                             $"KeepMonthly {d.KeepMonthly}, KeepYearly {d.KeepYearly}, in {d.TimeZone ?? "UTC"} (docs/retention.md)";
            }
        }
    }
}
