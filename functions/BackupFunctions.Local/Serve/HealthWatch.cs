using BackupFunctions.Activities.Restores;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The local twin of the Azure "HealthWatch" timer: every <see cref="Interval"/>, announce targets
/// that became late (or recovered) between runs, and record the poison queue's length. Runs
/// themselves notify when they finish.
/// </summary>
internal sealed partial class HealthWatch(BackupRuntime runtime, ILogger<HealthWatch> logger) : BackgroundService
{
    public static TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, runtime.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var output = await runtime.NotifyActivity().RunAsync(new NotifyInput(null), stoppingToken);
                await RestoreQueues.CountPoisonAsync(runtime.Options.Storage, stoppingToken); // recorded as backupfn.restore.poison_messages
                Logs.HealthWatchSent(logger, output.Notifications.Count); // every tick: how tests (and operators) see the watch is alive
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Logs.HealthWatchFailed(logger, e.Message); // storage or Key Vault down: try again at the next tick
            }
        }
    }
}
