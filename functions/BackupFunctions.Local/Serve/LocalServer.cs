using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Local.Orchestration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// `backupfn serve`: the three triggers of the Functions app in one local process: HTTP on Kestrel
/// (loopback by default), the NCRONTAB timer, and the restore-requests queue, all running the same
/// orchestrations in-process.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalServer(WebApplication app, BackupRuns runs)
    {
        _app = app;
        Runs = runs;
    }

    /// <summary>The address Kestrel listens on (the real port when the configured one was 0).</summary>
    public string Url => _app.Urls.First();

    public BackupRuns Runs { get; }

    /// <summary>Starts the server; <paramref name="timer"/> and <paramref name="queue"/> let tests run one trigger at a time.</summary>
    public static async Task<LocalServer> StartAsync(BackupRuntime runtime, InProcessOrchestrationHost host, HostSettings settings,
        ILoggerProvider logs, CancellationToken cancellationToken, bool timer = true, bool queue = true, TimeSpan? queuePollInterval = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(runtime.Options.Local.Urls);
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Microsoft.Hosting", LogLevel.Warning).AddFilter("Azure", LogLevel.Warning);
        var runs = new BackupRuns(runtime, host);
        builder.Services.AddSingleton(runtime).AddSingleton(host).AddSingleton(runs).AddSingleton(settings);
        if (timer)
        {
            builder.Services.AddHostedService<ScheduleTrigger>();
            if (runtime.Options.Notifications.WebhookUrl is not null || runtime.Options.Notifications.WebhookUrlSecret is not null)
            {
                builder.Services.AddHostedService<HealthWatch>();
            }
        }

        if (queue)
        {
            builder.Services.AddHostedService(sp => new RestoreQueueListener(
                RestoreQueues.For(runtime, RestoreQueues.QueueName), RestoreQueues.For(runtime, RestoreQueues.PoisonQueueName),
                settings, host, runtime, sp.GetRequiredService<ILogger<RestoreQueueListener>>())
            {
                PollInterval = queuePollInterval ?? TimeSpan.FromSeconds(1),
            });
        }

        var app = builder.Build();
        HttpApi.Map(app, runtime, runs);
        await app.StartAsync(cancellationToken);
        return new LocalServer(app, runs);
    }


    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
