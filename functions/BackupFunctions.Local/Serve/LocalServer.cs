using BackupFunctions.Activities.Restores;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Local.Engine;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// `backupfn serve`: the triggers of the Functions app in one local process (HTTP on Kestrel,
/// loopback by default; the timer; the restore-requests queue) over a Durable Task worker on the
/// task hub, which runs the orchestrations and activities. Several serve processes on one hub share
/// the work; a run interrupted by a crash resumes when one starts again.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly ILoggerFactory _engineLoggers;

    private LocalServer(WebApplication app, DurableEngine engine, RunStarter runs, CancellationTokenSource stopping, ILoggerFactory engineLoggers)
    {
        _app = app;
        _engineLoggers = engineLoggers;
        Engine = engine;
        Runs = runs;
        _stopping = stopping;
    }

    /// <summary>The address Kestrel listens on (the real port when the configured one was 0).</summary>
    public string Url => _app.Urls.First();

    public DurableEngine Engine { get; }

    public RunStarter Runs { get; }

    /// <summary>
    /// Starts the engine and the server; <paramref name="timer"/> and <paramref name="queue"/> let tests
    /// run one trigger at a time, <paramref name="retry"/> false tries every activity once.
    /// </summary>
    public static async Task<LocalServer> StartAsync(BackupRuntime runtime, HostSettings settings, ILoggerProvider logs, CancellationToken cancellationToken,
        bool timer = true, bool queue = true, TimeSpan? queuePollInterval = null, bool retry = true, string? workerId = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(runtime.Options.Local.Urls);
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Microsoft.Hosting", LogLevel.Warning).AddFilter("Azure", LogLevel.Warning)
            .AddFilter("DurableTask", LogLevel.Warning);
        var stopping = new CancellationTokenSource();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information).AddFilter("DurableTask", LogLevel.Warning).AddFilter("Azure", LogLevel.Warning));
        var engine = await DurableEngine.StartAsync(runtime, new ActivityEnvironment(Stopping: stopping.Token), loggers, workerId: workerId);
        var runs = new RunStarter(runtime, engine.Client, retry);
        builder.Services.AddSingleton(runtime).AddSingleton(engine).AddSingleton(runs).AddSingleton(settings)
            .AddSingleton(new RestoreIntake(runtime, engine.Client));
        builder.Services.AddHostedService<HistoryPurge>();
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
                RestoreQueues.For(runtime.Options.Storage, RestoreQueues.QueueName), settings, sp.GetRequiredService<RestoreIntake>(), engine, runtime,
                sp.GetRequiredService<ILogger<RestoreQueueListener>>())
            {
                PollInterval = queuePollInterval ?? TimeSpan.FromSeconds(1),
            });
        }

        var app = builder.Build();
        HttpApi.Map(app, runtime, runs);
        await app.StartAsync(cancellationToken);
        return new LocalServer(app, engine, runs, stopping, loggers);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Engine.DisposeAsync();
        Runs.Dispose();
        _stopping.Dispose();
        _engineLoggers.Dispose();
    }
}
