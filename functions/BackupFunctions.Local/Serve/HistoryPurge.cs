using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// Hourly, deletes from the task hub the history of instances that finished before
/// Backup:Local:TaskHub:KeepHistory (7 days by default), through the engine's own purge. Run
/// reports stay in the vault; only the engine's bookkeeping goes.
/// </summary>
internal sealed partial class HistoryPurge(BackupRuntime runtime, DurableEngine engine, ILogger<HistoryPurge> logger) : BackgroundService
{
    public static TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, runtime.Time);
        do
        {
            try
            {
                int purged = await engine.Client.PurgeFinishedAsync(runtime.Time.GetUtcNow() - runtime.Options.Local.TaskHub.KeepHistory, stoppingToken);
                if (purged > 0)
                {
                    Logs.PurgePurged(logger, purged);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Logs.PurgeFailed(logger, e.Message); // storage down: the next tick tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
