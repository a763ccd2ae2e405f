using System.Globalization;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>The <c>status</c> table: one row per target with its status, last good backup, age, due time and reason.</summary>
internal static class HealthTable
{
    public static IEnumerable<string> Lines(IEnumerable<TargetHealth> health)
    {
        yield return $"{"TARGET",-16} {"STATUS",-8} {"LAST GOOD BACKUP",-40} {"AGE",8} {"DUE (UTC)",-17} {"LAST RESTORE TEST",-40} REASON";
        foreach (var h in health)
        {
            string age = h.AgeHours is { } a ? string.Create(CultureInfo.InvariantCulture, $"{a:F1} h") : "-";
            string due = h.DueAt is { } d ? d.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
            yield return $"{h.Target,-16} {h.Status.Word(),-8} {h.LastGoodBackup ?? "-",-40} {age,8} {due,-17} {h.LastPassedRestoreTest ?? "-",-40} {h.Reason}";
        }
    }
}
