using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary>
/// <c>backupfn status</c>: the health table (the same evaluation as GET /api/health); for cron and monitoring,
/// exit 3 when any target is late, failing, suspect or missing.
/// </summary>
internal static class StatusVerb
{
    public static VerbDefinition Define() =>
        new("status", "Per target: last good backup, its age against the schedule, last restore test, ok/pending/warning/late/failing/suspect/missing; exit 3 when any is late, failing, suspect or missing",
            (s, r, ct) => RunAsync(s, ct),
            []);

    private static async Task<int> RunAsync(CliSession s, CancellationToken ct)
    {
        var health = await s.Runtime.HealthCheck().EvaluateAsync(ct);
        bool bad = health.Any(h => h.Status.IsBad());
        if (s.Json)
        {
            s.WriteJson(health);
            return bad ? ExitCodes.CheckFailed : ExitCodes.Ok;
        }

        await s.WriteLinesAsync(HealthTable.Lines(health));
        return bad ? ExitCodes.CheckFailed : ExitCodes.Ok;
    }
}
