using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The timer trigger of the local host: targets grouped by schedule (Backup:Schedule, or a
/// target's own Schedule), each group started as a BackupAll run at its next occurrence (UTC).
/// Logs the next occurrences at start so a wrong schedule is visible at once.
/// </summary>
public sealed partial class ScheduleTrigger(BackupRuntime runtime, BackupRuns runs, ILogger<ScheduleTrigger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var groups = runtime.TargetNames
            .GroupBy(t => runtime.Options.Targets[t].Schedule ?? runtime.Options.Schedule)
            .ToDictionary(g => g.Key, g => g.ToList());
        var now = runtime.Time.GetUtcNow().UtcDateTime;
        foreach (var (schedule, targets) in groups)
        {
            string names = string.Join(", ", targets);
            string upcoming = string.Join(", ", Schedules.Next(schedule, now, 3).Select(d => d.ToString("u", System.Globalization.CultureInfo.InvariantCulture)));
            LogSchedule(logger, schedule, names, upcoming);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            now = runtime.Time.GetUtcNow().UtcDateTime;
            var next = groups.Select(g => (At: Schedules.Next(g.Key, now, 1)[0], Targets: g.Value)).OrderBy(n => n.At).ToList();
            var at = next[0].At;
            await Task.Delay(at - now, runtime.Time, stoppingToken);
            var due = next.Where(n => n.At == at).SelectMany(n => n.Targets).ToList();
            var start = runs.Start(due, "timer");
            string dueNames = string.Join(", ", due);
            LogStarted(logger, start.InstanceId, dueNames);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Schedule \"{Schedule}\" for {Targets}: next runs {Next} (UTC)")]
    private static partial void LogSchedule(ILogger logger, string schedule, string targets, string next);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Timer started run {RunId} for {Targets}")]
    private static partial void LogStarted(ILogger logger, string runId, string targets);
}
