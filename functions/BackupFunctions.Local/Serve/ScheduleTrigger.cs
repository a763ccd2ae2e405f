using System.Globalization;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The timer trigger of the local host: it wakes at the next instant any target falls due and
/// hands the window since its last wake to the shared due-targets decision (the Azure app's
/// frequent timer does the same), starting each due slot's run once. Logs each schedule's next
/// occurrences at start so a wrong schedule is visible at once.
/// </summary>
public sealed partial class ScheduleTrigger(BackupRuntime runtime, RunStarter runs, ILogger<ScheduleTrigger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = runtime.Options;
        var last = runtime.Time.GetUtcNow().UtcDateTime;
        foreach (var group in runtime.TargetNames.GroupBy(t => options.Targets[t].Schedule ?? options.Schedule))
        {
            string upcoming = string.Join(", ", Schedules.Next(group.Key, last, 3).Select(d => d.ToString("u", CultureInfo.InvariantCulture)));
            string names = string.Join(", ", group);
            LogSchedule(logger, group.Key, names, upcoming);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = DueTargets.Next(options, last) - runtime.Time.GetUtcNow().UtcDateTime;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, runtime.Time, stoppingToken);
            }

            var now = runtime.Time.GetUtcNow().UtcDateTime;
            foreach (var slot in DueTargets.Between(options, last, now))
            {
                try
                {
                    var start = await runs.StartScheduledAsync(slot.At, slot.Targets, stoppingToken);
                    string names = string.Join(", ", slot.Targets);
                    if (start.Started)
                    {
                        LogStarted(logger, start.InstanceId, names);
                    }
                    else
                    {
                        LogJoined(logger, start.InstanceId, names);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, slot.At, e.Message); // storage down: this slot is missed, and health reports the target late
                }
            }

            last = now;
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Schedule \"{Schedule}\" for {Targets}: next runs {Next} (UTC)")]
    private static partial void LogSchedule(ILogger logger, string schedule, string targets, string next);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Timer started run {RunId} for {Targets}")]
    private static partial void LogStarted(ILogger logger, string runId, string targets);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Timer slot {RunId} for {Targets} was already started (by another process on the hub, or before a restart)")]
    private static partial void LogJoined(ILogger logger, string runId, string targets);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Timer could not start the run due at {At:u}: {Error}")]
    private static partial void LogFailed(ILogger logger, DateTime at, string error);
}
