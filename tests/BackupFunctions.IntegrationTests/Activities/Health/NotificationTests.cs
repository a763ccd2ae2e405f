using System.Collections.Concurrent;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Activities.Health;

/// <summary>Webhook notifications on failure, lateness and recovery, sent to a local HTTP listener; real PostgreSQL and Azurite.</summary>
public class NotificationTests
{
    private const string Table = "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 50);";

    private static RunReport Run(string target, bool succeeded, string? error = null) =>
        new($"run-{Guid.NewGuid():N}", "timer", DateTime.UtcNow, DateTime.UtcNow, succeeded ? RunState.Completed : RunState.Failed,
            [new TargetReport { Target = target, Outcome = succeeded ? TargetOutcome.Succeeded : TargetOutcome.Failed, Error = error }]);

    private static async Task<string> BackUpAsync(BackupRuntime runtime)
    {
        string id = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
        await runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);
        return id;
    }

    [Fact]
    public async Task Failure_Late_Recovery_AreEachSentOnce_WithRetries_InSlackAndTeamsShape()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync("notify", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) });
        vault.Options.Notifications.WebhookUrl = receiver.Url;
        await BackUpAsync(vault.Runtime);
        var notify = vault.Runtime.NotifyActivity();

        var healthy = await notify.RunAsync(new NotifyInput(Run("orders", true)), CancellationToken.None);
        receiver.FailFirst = receiver.Requests + 1; // the next delivery fails once, then succeeds on the retry
        var failed = await notify.RunAsync(new NotifyInput(Run("orders", false, "connection refused at 127.0.0.1:5432 (is PostgreSQL running and listening there?)")), CancellationToken.None);
        var stillFailing = await notify.RunAsync(new NotifyInput(Run("orders", false, "connection refused again")), CancellationToken.None);
        var later = BackupRuntime.Create(vault.Options, new ShiftedTime(TimeSpan.FromDays(3)), NullLoggerFactory.Instance);
        var late = await later.NotifyActivity().RunAsync(new NotifyInput(null), CancellationToken.None);
        string fresh = await BackUpAsync(later);
        var recovered = await later.NotifyActivity().RunAsync(new NotifyInput(Run("orders", true)), CancellationToken.None);

        Assert.Empty(healthy.Notifications);
        var failure = Assert.Single(failed.Notifications);
        Assert.Equal(("failure", true), (failure.Kind, failure.Delivered));
        Assert.Empty(stillFailing.Notifications); // a target that stays failing is not announced again
        Assert.Equal("late", Assert.Single(late.Notifications).Kind);
        var recovery = Assert.Single(recovered.Notifications);
        Assert.Equal("recovery", recovery.Kind);
        Assert.Contains(fresh, recovery.Text, StringComparison.Ordinal);

        var bodies = receiver.Bodies.ToList();
        Assert.Equal(3, bodies.Count);
        Assert.Equal(4, receiver.Requests); // the failure took two attempts, late and recovery one each
        var first = bodies[0];
        Assert.StartsWith("Backup of 'orders' is failing: connection refused at 127.0.0.1:5432", first["text"]!.GetValue<string>(), StringComparison.Ordinal); // Slack reads "text"
        Assert.Equal("MessageCard", first["@type"]!.GetValue<string>()); // Teams reads the card
        Assert.Equal("D70000", first["themeColor"]!.GetValue<string>());
        Assert.Equal("orders", first["sections"]![0]!["facts"]![0]!["value"]!.GetValue<string>());
        Assert.Contains("is late: no good backup since the run due at", bodies[1]["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("2DC72D", bodies[2]["themeColor"]!.GetValue<string>());
        string all = string.Join("\n", bodies.Select(b => b.ToJsonString()));
        Assert.DoesNotContain(TestServers.PgPassword, all, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token-xyz", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableWebhook_IsLoggedWithoutItsUrl_NeverFailsTheCaller_AndIsTriedAgainNextTime()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AlwaysFail = true;
        await using var db = await TestDatabase.CreateAsync("notify_down", Table);
        var logs = new ConcurrentQueue<string>();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new CapturingLoggerProvider(logs)));
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) }, loggers: loggers);
        vault.Options.Notifications.WebhookUrl = receiver.Url;

        var first = await vault.Runtime.NotifyActivity().RunAsync(new NotifyInput(Run("orders", false, "pg_dump failed")), CancellationToken.None);
        receiver.AlwaysFail = false;
        var second = await vault.Runtime.NotifyActivity().RunAsync(new NotifyInput(Run("orders", false, "pg_dump failed")), CancellationToken.None);

        Assert.False(Assert.Single(first.Notifications).Delivered);
        Assert.True(Assert.Single(second.Notifications).Delivered); // still announced: the first one never arrived
        Assert.Contains(logs, l => l.Contains("Notification webhook not delivered (HTTP 503) after 3 attempt(s)", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains("secret-token-xyz", StringComparison.Ordinal) || l.Contains(receiver.Url, StringComparison.Ordinal));
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));
        }
    }
}
