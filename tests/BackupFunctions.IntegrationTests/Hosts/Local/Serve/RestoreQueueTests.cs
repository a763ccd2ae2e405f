using BackupFunctions.Activities.Restores;
using BackupFunctions.Activities.Health;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Serve;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>The restore-requests queue end to end against Azurite and PostgreSQL.</summary>
public class RestoreQueueTests
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1500) g;";

    /// <summary>A producer as a user would write one: the SDK's base64 encoding, the Functions default.</summary>
    private static QueueClient Producer(string name) =>
        new(TestServers.Storage, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static async Task ClearQueuesAsync()
    {
        foreach (string name in new[] { RestoreQueues.QueueName, RestoreQueues.PoisonQueueName })
        {
            var q = Producer(name);
            await q.CreateIfNotExistsAsync();
            await q.ClearMessagesAsync();
        }
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    private static async Task<int> CountAsync(string queue) =>
        (await Producer(queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    [Fact]
    public async Task ValidRequest_Restores_AndMalformedOnesEndInPoisonWithAReason()
    {
        await ClearQueuesAsync();
        await using var source = await TestDatabase.CreateAsync("q_src", Table);
        await using var destination = TestDatabase.Named("q_dst");
        await using var serve = await ServeFixture.StartAsync(new()
        {
            ["src"] = TestVault.Postgres(source.Connection),
            ["copy"] = TestVault.Postgres(destination.Connection),
        }, queue: true);
        string id = (await serve.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId;
        var producer = Producer(RestoreQueues.QueueName);

        var valid = await producer.SendMessageAsync(JsonSerializer.Serialize(new { target = "src", latest = true, destination = "copy", replace = false, requestedBy = "ops@example.com" }));
        var bad = new Dictionary<string, string>
        {
            ["bad json"] = "{\"backupId\": ",
            ["unknown target"] = JsonSerializer.Serialize(new { backupId = id, destination = "nowhere" }),
            ["unknown backup"] = JsonSerializer.Serialize(new { backupId = "src-20200101T000000Z-0000", destination = "copy" }),
            ["missing fields"] = JsonSerializer.Serialize(new { requestedBy = "ops@example.com" }),
            ["oversize"] = JsonSerializer.Serialize(new { backupId = id, destination = "copy", requestedBy = new string('x', 9000) }),
        };
        foreach (string body in bad.Values)
        {
            await producer.SendMessageAsync(body);
        }

        Assert.True(await WaitAsync(async () => await CountAsync(RestoreQueues.PoisonQueueName) == bad.Count && await CountAsync(RestoreQueues.QueueName) == 0),
            "the malformed messages did not all reach the poison queue; log: " + string.Join(" | ", serve.Logs.Messages));
        Assert.True(await WaitAsync(async () => await destination.ExistsAsync()), "the valid request did not restore");
        Assert.Equal(1500, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));

        var poisoned = serve.Logs.Messages.Where(m => m.Contains("moved to the poison queue", StringComparison.Ordinal)).ToList();
        Assert.Equal(bad.Count, poisoned.Count);
        Assert.Equal(bad.Count, await RestoreQueues.CountPoisonAsync(serve.Runtime.Options.Storage, CancellationToken.None)); // what the alert's metric records
        Assert.Contains(poisoned, m => m.Contains("not a valid restore request JSON", StringComparison.Ordinal));
        Assert.Contains(poisoned, m => m.Contains("unknown target 'nowhere'", StringComparison.Ordinal));
        Assert.Contains(poisoned, m => m.Contains("backup 'src-20200101T000000Z-0000' not found", StringComparison.Ordinal));
        Assert.Contains(poisoned, m => m.Contains("missing 'destination'", StringComparison.Ordinal));
        Assert.Contains(poisoned, m => m.Contains("a restore request is at most", StringComparison.Ordinal));

        // The outcome of each message is recorded in the vault too.
        string record = BlobLayout.RunReport($"restore-{valid.Value.MessageId}", valid.Value.InsertionTime);
        Assert.True(await WaitAsync(async () => await serve.Runtime.Vault.StatAsync(record, CancellationToken.None) is not null, 10));
        Assert.Equal("Restored", (await serve.Runtime.Vault.StatAsync(record, CancellationToken.None))!.Metadata["status"]);
    }

    [Fact]
    public async Task RedeliveredMessage_DoesNotRestoreTwice()
    {
        await ClearQueuesAsync();
        await using var source = await TestDatabase.CreateAsync("q_src", Table);
        await using var destination = TestDatabase.Named("q_dst");
        await using var serve = await ServeFixture.StartAsync(new()
        {
            ["src"] = TestVault.Postgres(source.Connection),
            ["copy"] = TestVault.Postgres(destination.Connection),
        });
        string id = (await serve.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId;
        var listener = new RestoreQueueListener(RestoreQueues.For(serve.Runtime.Options.Storage, RestoreQueues.QueueName), HostSettings.Defaults,
            new RestoreIntake(serve.Runtime, serve.Server.Engine.Client), serve.Server.Engine, serve.Runtime,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RestoreQueueListener>.Instance);
        // replace: true, so a second restore would really run again if idempotency failed.
        string body = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new { backupId = id, destination = "copy", replace = true }));
        var first = QueuesModelFactory.QueueMessage("msg-redelivered", "pop-1", BinaryData.FromString(body), dequeueCount: 1);
        var again = QueuesModelFactory.QueueMessage("msg-redelivered", "pop-2", BinaryData.FromString(body), dequeueCount: 2);

        await listener.HandleAsync(first, CancellationToken.None);
        await TestServers.ExecuteAsync(destination.Name, "INSERT INTO t VALUES (-1, 'written after the first restore')");
        await listener.HandleAsync(again, CancellationToken.None);

        Assert.True(BackupId.TryParse(id, out var parsed));
        var restores = (await serve.Runtime.Vault.ListChecksAsync(parsed, CancellationToken.None)).Where(c => c.Kind == RestoreDatabaseActivity.CheckKind).ToList();
        Assert.Single(restores);
        Assert.Equal("msg-redelivered", restores[0].Metadata["requestid"]);
        Assert.Equal(1, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t WHERE id = -1"));
    }
}
