using Azure.Storage.Queues;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Restores;
using BackupFunctions.IntegrationTests.Activities.KeyVault;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.IntegrationTests.Vault;
using BackupFunctions.Local.Serve;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>
/// `backupfn request-restore` end to end: the CLI puts a message on the queue of a running `serve`
/// (real PostgreSQL, the Durable Task engine) and follows it to its outcome. Storage is an Azurite of
/// this test's own, so no other test's listener takes its messages from the shared restore-requests
/// queue. Key Vault is the labelled fake.
/// </summary>
public class RequestRestoreTests
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 700) g;";

    private static BackupFunctions.Vault.Catalog.BackupId ParseId(string id) =>
        BackupFunctions.Vault.Catalog.BackupId.TryParse(id, out var parsed) ? parsed : throw new ArgumentException(id);

    [Fact]
    public async Task Wait_FollowsARestoreToRestored_APoisonedOneToItsReason_AndAConnectionStringIsRefusedBeforeSending()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var kv = await FakeKeyVault.StartAsync();
        await using var source = await TestDatabase.CreateAsync("rr_src", Table);
        await using var copy = TestDatabase.Named("rr_copy");
        await using var bySecret = TestDatabase.Named("rr_secret");
        kv.Secrets["rr-restore-conn"] = bySecret.Connection;
        var targets = new Dictionary<string, TargetOptions>
        {
            ["src"] = TestVault.Postgres(source.Connection),
            ["copy"] = TestVault.Postgres(copy.Connection),
        };
        var options = new BackupOptions
        {
            Storage = new StorageOptions { Connection = azurite.Storage, Container = $"it-{Guid.NewGuid():N}" },
            Targets = targets,
        };
        options.Local.Urls = "http://127.0.0.1:0";
        options.Local.TaskHub.Name = TaskHubs.NewName();
        Assert.Empty(BackupConfiguration.Validate(options));
        var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var secrets = new SecretResolver(kv.Uri, new FakeTokenCredential(), kv.ClientOptions(), TimeProvider.System, TimeSpan.FromMinutes(5));
        var runtime = BackupRuntime.Create(options, TimeProvider.System, loggers, secrets);
        await using var serve = await LocalServer.StartAsync(runtime, HostSettings.Defaults, logs, CancellationToken.None,
            timer: false, queue: true, queuePollInterval: TimeSpan.FromMilliseconds(200), retry: false);
        string id = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId;
        await using var cli = new CliRunner(new()
        {
            ["src"] = CliRunner.Postgres(source.Connection),
            ["copy"] = CliRunner.Postgres(copy.Connection),
        }, container: options.Storage.Container, storage: azurite.Storage);
        var queue = new QueueClient(azurite.Storage, RestoreQueues.QueueName);

        var refusedSecret = await cli.RunAsync("request-restore", "--backup", id, "--to-connection-secret", copy.Connection, "--wait");
        var refusedConnection = await cli.RunAsync("request-restore", "--backup", id, "--to-connection", copy.Connection);
        int queuedAfterRefusals = (await queue.ExistsAsync()).Value ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;
        var restored = await cli.RunAsync("request-restore", "--backup", id, "--to", "copy", "--wait", "--timeout", "00:03:00");
        var poisoned = await cli.RunAsync("request-restore", "--target", "src", "--latest", "--to", "copy", "--wait", "--timeout", "00:03:00");
        var secretRestore = await cli.RunAsync("request-restore", "--backup", id, "--to-connection-secret", "rr-restore-conn", "--wait", "--timeout", "00:03:00", "--json");
        var queuedOnly = await cli.RunAsync("request-restore", "--backup", "src-20200101T000000Z-0000", "--to", "copy"); // no --wait; unknown, so serve poisons it at once

        Assert.Equal(2, refusedSecret.Exit);
        Assert.Contains("--to-connection-secret takes the name of a Key Vault secret", refusedSecret.Err, StringComparison.Ordinal);
        Assert.Equal(2, refusedConnection.Exit);
        Assert.Contains("a connection string is never sent on the queue", refusedConnection.Err, StringComparison.Ordinal);
        Assert.Equal(0, queuedAfterRefusals); // refused before anything was sent
        foreach (var refused in new[] { refusedSecret, refusedConnection })
        {
            Assert.DoesNotContain(TestServers.PgPassword, refused.Out + refused.Err, StringComparison.Ordinal);
        }

        Assert.True(restored.Exit == 0, restored.Out + restored.Err);
        Assert.Matches(@"^request [0-9a-f-]{36}: Restored: restored into 127\.0\.0\.1:\d+/it_rr_copy", restored.Out);
        Assert.Equal(700, await TestServers.ScalarAsync<long>(copy.Name, "SELECT count(*) FROM t"));

        Assert.Equal(1, poisoned.Exit);
        Assert.Contains(": Poisoned: ", poisoned.Out, StringComparison.Ordinal);
        Assert.Contains("is not empty; pass --replace", poisoned.Out, StringComparison.Ordinal);

        Assert.True(secretRestore.Exit == 0, secretRestore.Out + secretRestore.Err);
        var outcome = System.Text.Json.JsonDocument.Parse(secretRestore.Out).RootElement.GetProperty("outcome");
        Assert.Equal("Restored", outcome.GetProperty("status").GetString());
        Assert.Equal(700, await TestServers.ScalarAsync<long>(bySecret.Name, "SELECT count(*) FROM t"));
        var restoreRecords = (await runtime.Vault.ListChecksAsync(ParseId(id), CancellationToken.None))
            .Where(c => c.Kind == RestoreDatabaseActivity.CheckKind).ToList();
        Assert.Contains(restoreRecords, c => c.Metadata["destination"] == "secret:rr-restore-conn"); // the secret's name is recorded, never its value

        Assert.Equal(0, queuedOnly.Exit);
        Assert.Matches(@"^queued restore request [0-9a-f-]{36} on 'restore-requests'", queuedOnly.Out);
        string all = string.Join("\n", logs.Messages) + restored.Out + restored.Err + poisoned.Out + secretRestore.Out + secretRestore.Err;
        Assert.DoesNotContain(TestServers.PgPassword, all, StringComparison.Ordinal);
    }
}
