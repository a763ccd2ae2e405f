using NCrontab;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// Six-field NCRONTAB schedules ("sec min hour day month weekday"), parsed with NCrontab.Signed,
/// the library the Azure Functions timer trigger uses, so a schedule means the same on both hosts.
/// </summary>
public static class Schedules
{
    private static readonly CrontabSchedule.ParseOptions SixFields = new() { IncludingSeconds = true };

    /// <summary>Why the expression is not a valid six-field schedule; null when it is.</summary>
    public static string? Problem(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return "is empty (use six fields, e.g. \"0 0 2 * * *\" for 02:00 UTC daily)";
        }

        return CrontabSchedule.TryParse(expression, SixFields) is null
            ? $"'{expression}' is not a six-field NCRONTAB expression (sec min hour day month weekday, e.g. \"0 0 2 * * *\")"
            : null;
    }

    public static CrontabSchedule Parse(string expression) => CrontabSchedule.Parse(expression, SixFields);

    /// <summary>The next <paramref name="count"/> occurrences after <paramref name="after"/> (UTC).</summary>
    public static IReadOnlyList<DateTime> Next(string expression, DateTime after, int count)
    {
        var schedule = Parse(expression);
        var list = new List<DateTime>(count);
        var at = after;
        for (int i = 0; i < count; i++)
        {
            at = schedule.GetNextOccurrence(at);
            list.Add(at);
        }

        return list;
    }

    /// <summary>The latest occurrence at or before <paramref name="now"/> within the last 400 days; null when none.</summary>
    public static DateTime? Previous(string expression, DateTime now)
    {
        var schedule = Parse(expression);
        // Search backwards in widening windows: cheap for frequent schedules, bounded for rare ones.
        foreach (var window in new[] { TimeSpan.FromHours(2), TimeSpan.FromDays(2), TimeSpan.FromDays(40), TimeSpan.FromDays(400) })
        {
            var last = schedule.GetNextOccurrences(now - window, now.AddTicks(1)).LastOrDefault();
            if (last != default)
            {
                return last;
            }
        }

        return null;
    }
}
