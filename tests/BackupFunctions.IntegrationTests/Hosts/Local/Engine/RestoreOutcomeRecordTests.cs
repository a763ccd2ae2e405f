using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Engine;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Engine;

/// <summary>
/// The Restore orchestration records a queued request's final outcome itself, as the Azure app needs (its queue trigger
/// returns once the orchestration starts): started on the engine as that trigger starts it, with no listener recording,
/// the record `request-restore --wait` reads appears, for a restore and for a request refused as malformed.
/// </summary>
public class RestoreOutcomeRecordTests
{
    [Fact]
    public async Task TheOrchestrationRecordsRestoredAndRejectedOutcomes_WithoutAnyHostRecordingThem()
    {
        await using var source = await TestDatabase.CreateAsync("rec_src", "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 50);");
        await using var destination = TestDatabase.Named("rec_dst");
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = TestVault.Postgres(source.Connection), ["copy"] = TestVault.Postgres(destination.Connection) });
        string backupId = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId;
        await using var engine = await DurableEngine.StartAsync(vault.Options, TaskRegistrations.For(vault.Runtime, ActivityEnvironment.None), NullLoggerFactory.Instance);
        var queuedAt = DateTimeOffset.UtcNow;

        var restored = await RunAsync(engine, new RestoreRequest(backupId, null, false, "copy", false, "tester", "msg-ok", InsertedOn: queuedAt, DequeueCount: 1));
        var rejected = await RunAsync(engine, new RestoreRequest(null, null, false, "copy", false, "tester", "msg-bad", InsertedOn: queuedAt, DequeueCount: 2, RecordFailure: true));

        Assert.Equal(RestoreStatus.Restored, restored.Status);
        var okRecord = await RestoreIntake.FindRecordAsync(vault.Runtime.Vault, "msg-ok", queuedAt, CancellationToken.None);
        Assert.NotNull(okRecord);
        Assert.Equal((RestoreStatus.Restored, backupId, 1L), (okRecord.Status, okRecord.BackupId, okRecord.DequeueCount));
        Assert.Equal(50, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));

        Assert.Equal(RestoreStatus.Rejected, rejected.Status);
        var badRecord = await RestoreIntake.FindRecordAsync(vault.Runtime.Vault, "msg-bad", queuedAt, CancellationToken.None);
        Assert.NotNull(badRecord);
        Assert.Equal(RestoreStatus.Rejected, badRecord.Status);
        Assert.Contains("missing 'backupId'", badRecord.Detail, StringComparison.Ordinal);
    }

    private static async Task<RestoreOutcome> RunAsync(DurableEngine engine, RestoreRequest request)
    {
        string instance = RestoreIntake.InstanceId(request.RequestId!);
        await engine.Client.StartAsync(TaskNames.Orchestrators.Restore, instance, request, StartRule.OnlyOnce, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var done = await engine.WaitAsync(instance, timeout.Token, TimeSpan.FromMilliseconds(200));
        Assert.True(done.State == InstanceState.Completed, $"{done.State}: {done.FailureMessage}");
        return JsonSerializer.Deserialize<RestoreOutcome>(done.SerializedOutput!, TaskJson.Options)!;
    }
}
