using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.IntegrationTests.Vault;
using BackupFunctions.Local.Serve;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>A running `backupfn serve` (real Kestrel on a free loopback port) over a fresh container.</summary>
internal sealed class ServeFixture : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;

    private ServeFixture(TestVault vault, LocalServer server, ListLoggerProvider logs, ILoggerFactory loggers)
    {
        Vault = vault;
        Server = server;
        Logs = logs;
        _loggers = loggers;
        Http = new HttpClient { BaseAddress = new Uri(server.Url) };
    }

    public TestVault Vault { get; }
    public LocalServer Server { get; }
    public ListLoggerProvider Logs { get; }
    public HttpClient Http { get; }
    public BackupRuntime Runtime => Vault.Runtime;

    public static async Task<ServeFixture> StartAsync(Dictionary<string, TargetOptions> targets, bool queue = false,
        HostSettings? settings = null, string? apiKey = null, string? schedule = null, string? webhookUrl = null)
    {
        var logs = new ListLoggerProvider();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var vault = await TestVault.CreateAsync(targets, loggers: loggers);
        vault.Options.Local.Urls = "http://127.0.0.1:0";
        vault.Options.Local.ApiKey = apiKey;
        vault.Options.Notifications.WebhookUrl = webhookUrl;
        if (schedule is not null)
        {
            vault.Options.Schedule = schedule;
        }

        // Retries off: a test that makes an activity fail wants the outcome now, not after durable back-off timers.
        var server = await LocalServer.StartAsync(vault.Runtime, settings ?? HostSettings.Defaults, logs, CancellationToken.None,
            timer: schedule is not null, queue: queue, queuePollInterval: TimeSpan.FromMilliseconds(200), retry: false);
        return new ServeFixture(vault, server, logs, loggers);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Vault.DisposeAsync();
        _loggers.Dispose();
    }
}
