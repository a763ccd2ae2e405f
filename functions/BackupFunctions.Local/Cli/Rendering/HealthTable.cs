using System.Globalization;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>
/// The <c>status</c> table: one row per target with its status, last good backup, age, due time, the
/// recovery objectives achieved against the wanted ones (RPO: the worse of the largest gap and the
/// newest backup's age; RTO: p95 of restore tests), and the reason.
/// </summary>
internal static class HealthTable
{
    public static IEnumerable<string> Lines(IEnumerable<TargetHealth> health)
    {
        yield return $"{"TARGET",-16} {"STATUS",-8} {"LAST GOOD BACKUP",-40} {"AGE",8} {"DUE (UTC)",-17} {"LAST RESTORE TEST",-40} {"RPO GOT/WANT",-18} {"RTO P95/WANT",-18} REASON";
        foreach (var h in health)
        {
            string age = h.AgeHours is { } a ? string.Create(CultureInfo.InvariantCulture, $"{a:F1} h") : "-";
            string due = h.DueAt is { } d ? d.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
            yield return $"{h.Target,-16} {h.Status.Word(),-8} {h.LastGoodBackup ?? "-",-40} {age,8} {due,-17} {h.LastPassedRestoreTest ?? "-",-40} {Rpo(h.Objectives),-18} {Rto(h.Objectives),-18} {h.Reason}";
        }
    }

    /// <summary>"2.0 h/1.0 h": what was achieved against the objective; "-" without objectives.</summary>
    public static string Rpo(ObjectivesReport? o) => o?.Rpo.Objective is not { } want ? "-"
        : $"{Got(Max(o.Rpo.LargestGap, o.Rpo.NewestAge))}/{ObjectivesReport.Text(want)}";

    public static string Rto(ObjectivesReport? o) => o?.Rto.Objective is not { } want ? "-" : $"{Got(o.Rto.P95)}/{ObjectivesReport.Text(want)}";

    private static string Got(TimeSpan? t) => t is { } v ? ObjectivesReport.Text(v) : "none";

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
