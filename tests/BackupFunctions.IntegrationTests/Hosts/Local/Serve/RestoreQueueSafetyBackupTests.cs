using System.Text.Json;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Restores;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Serve;
using BackupFunctions.Orchestrations.Intake;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>
/// A queued restore with replace backs the destination up first unless the message says "safetyBackup": false
/// (through the listener, the Restore orchestration and the real Durable engine).
/// </summary>
public class RestoreQueueSafetyBackupTests
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 300) g;";

    [Fact]
    public async Task ReplaceRequest_TakesASafetyBackupByDefault_AndNoneWhenTheMessageSaysFalse()
    {
        await using var source = await TestDatabase.CreateAsync("qs_src", Table);
        await using var destination = await TestDatabase.CreateAsync("qs_dst", "CREATE TABLE precious(x text); INSERT INTO precious VALUES ('keep me');");
        await using var serve = await ServeFixture.StartAsync(new()
        {
            ["src"] = TestVault.Postgres(source.Connection),
            ["copy"] = TestVault.Postgres(destination.Connection),
        });
        string id = (await serve.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId;
        var listener = new RestoreQueueListener(RestoreQueues.For(serve.Runtime.Options.Storage, RestoreQueues.QueueName), HostSettings.Defaults,
            new RestoreIntake(serve.Runtime, serve.Server.Engine.Client), serve.Server.Engine, serve.Runtime,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RestoreQueueListener>.Instance);
        static QueueMessage Message(string messageId, object body) =>
            QueuesModelFactory.QueueMessage(messageId, "pop", BinaryData.FromString(Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(body))), dequeueCount: 1);

        Assert.True(BackupFunctions.Vault.Catalog.BackupId.TryParse(id, out var parsed));
        await listener.HandleAsync(Message("msg-safety-default", new { backupId = id, destination = "copy", replace = true }), CancellationToken.None);

        Assert.Equal(300, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));
        var safety = Assert.Single(await serve.Runtime.BackupCatalog().ListAsync("copy", CancellationToken.None));
        Assert.Equal(1, safety.Manifest.SourceStats.Counts["public.precious"]);
        var checks = await serve.Runtime.Vault.ListChecksAsync(parsed, CancellationToken.None);
        Assert.Contains(checks, c => c.Kind == RestoreDatabaseActivity.CheckKind && c.Metadata["requestid"] == "msg-safety-default");

        await listener.HandleAsync(Message("msg-safety-off", new { backupId = id, destination = "copy", replace = true, safetyBackup = false }), CancellationToken.None);

        Assert.Equal(2, (await serve.Runtime.Vault.ListChecksAsync(parsed, CancellationToken.None)).Count(c => c.Kind == RestoreDatabaseActivity.CheckKind));
        Assert.Single(await serve.Runtime.BackupCatalog().ListAsync("copy", CancellationToken.None));
    }

    [Fact]
    public void SafetyBackupFalseWithoutReplace_IsRejected_AndAWrongTypeIsNamed()
    {
        var intake = new RestoreIntake(null!, null!);
        Assert.Equal("'safetyBackup': false applies only with 'replace': true (nothing is replaced without it)",
            intake.Parse("""{"backupId": "src-20260101T000000Z-0000", "destination": "copy", "safetyBackup": false}""", out _));
        Assert.Contains("'safetyBackup' must be true or false",
            intake.Parse("""{"backupId": "src-20260101T000000Z-0000", "destination": "copy", "replace": true, "safetyBackup": "yes"}""", out _), StringComparison.Ordinal);
    }
}
