using BackupFunctions.Activities.Configuration;
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
            Logs.TimerSchedule(logger, group.Key, names, upcoming);
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
                        Logs.TimerStarted(logger, start.InstanceId, names);
                    }
                    else
                    {
                        Logs.TimerJoined(logger, start.InstanceId, names);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Logs.TimerFailed(logger, slot.At, e.Message); // storage down: this slot is missed, and health reports the target late
                }
            }

            last = now;
        }
    }
}
