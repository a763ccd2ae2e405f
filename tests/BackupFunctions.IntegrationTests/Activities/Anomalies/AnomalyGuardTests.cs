using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.IntegrationTests.Activities.Anomalies;

/// <summary>
/// The anomaly guard's rules on real PostgreSQL and Azurite, through the activities with a FakeTimeProvider:
/// the first backup has no baseline, a mass delete makes a backup suspect (health suspect, prune frozen),
/// an unacknowledged suspect is no baseline, an acknowledgement records who and when, releases prune and
/// becomes the new normal, and a disabled guard writes no record.
/// </summary>
public class AnomalyGuardTests
{
    private const string Tables =
        "CREATE TABLE orders(id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g;" +
        "CREATE TABLE users(id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 300);";

    private static TargetOptions Target(string connection, bool enabled = true)
    {
        var target = TestVault.Postgres(connection);
        target.Retention = new RetentionOptions { KeepLast = 1, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0 };
        target.Anomaly.Enabled = enabled;
        return target;
    }

    /// <summary>Backup, verify and anomaly check, as the orchestration runs them; the clock moves on a minute afterwards.</summary>
    private static async Task<CheckAnomalyOutput> BackUpAsync(BackupRuntime runtime, FakeTimeProvider clock)
    {
        string id = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
        Assert.True((await runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None)).IsOk);
        var anomaly = await runtime.CheckAnomalyActivity().RunAsync(id, CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(1));
        return anomaly;
    }

    private static async Task<TargetHealth> HealthAsync(BackupRuntime runtime) => (await runtime.HealthCheck().EvaluateAsync(CancellationToken.None)).Single();

    [Fact]
    public async Task MassDelete_IsSuspect_FreezesPrune_UntilAcknowledged_WhichRecordsWhoAndWhen_AndBecomesTheNewNormal()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var db = await TestDatabase.CreateAsync("anomaly", Tables);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = Target(db.Connection) }, minRetentionDays: 0, time: clock);
        var runtime = vault.Runtime;

        var first = await BackUpAsync(runtime, clock);
        var second = await BackUpAsync(runtime, clock);
        Assert.Equal(AnomalyOutcome.NoBaseline, first.Outcome);
        Assert.Contains("nothing to compare", first.Detail, StringComparison.Ordinal);
        Assert.Equal(AnomalyOutcome.Normal, second.Outcome);

        await TestServers.ExecuteAsync(db.Name, "DELETE FROM orders WHERE id % 10 <> 0"); // 90% of the rows
        var suspect = await BackUpAsync(runtime, clock);

        Assert.Equal(AnomalyOutcome.Suspect, suspect.Outcome);
        Assert.Contains("public.orders 200 vs median 2000 (-90%)", suspect.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("public.users", suspect.Detail, StringComparison.Ordinal);
        var record = await runtime.BackupCatalog().ReadCheckAsync(suspect.CheckBlob!, CancellationToken.None);
        Assert.Equal(("anomaly", "Suspect"), (record!.Kind, record.Outcome));
        Assert.Contains(record.Findings!, f => f is { Name: "public.orders", Value: 200, Median: 2000, ChangePercent: -90 });

        var health = await HealthAsync(runtime);
        Assert.Equal(HealthStatus.Suspect, health.Status);
        Assert.True(health.Status.IsBad());
        Assert.StartsWith($"backup {suspect.BackupId} is suspect: ", health.Reason, StringComparison.Ordinal);
        Assert.Contains("public.orders 200 vs median 2000 (-90%)", health.Reason, StringComparison.Ordinal);
        Assert.Contains($"backupfn ack {suspect.BackupId}", health.Reason, StringComparison.Ordinal);

        var frozen = await runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput("orders", DryRun: false), CancellationToken.None);
        Assert.Empty(frozen.Removed);
        Assert.Equal(3, frozen.Kept.Count);
        Assert.Contains($"pruning frozen: backup {suspect.BackupId} is suspect", frozen.Note, StringComparison.Ordinal);

        // Still shrunk: an unacknowledged suspect is no baseline, so the next backup is compared with the good ones and is suspect too.
        var again = await BackUpAsync(runtime, clock);
        Assert.Equal(AnomalyOutcome.Suspect, again.Outcome);
        Assert.Contains($"({second.BackupId}, {first.BackupId})", again.Detail, StringComparison.Ordinal);

        var ackAt = clock.GetUtcNow();
        var ack = await runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(suspect.BackupId, "alice"), CancellationToken.None);
        Assert.Equal(AcknowledgeOutcome.Acknowledged, ack.Outcome);
        Assert.Equal("alice", ack.By);
        Assert.InRange(ack.At!.Value, ackAt, clock.GetUtcNow()); // the fake clock's time (it advances 1 ms per reading)
        var ackRecord = await ReadAckRecordAsync(vault, suspect.BackupId);
        Assert.Equal("alice", ackRecord.GetProperty("by").GetString());
        Assert.Equal(ack.At, ackRecord.GetProperty("completedAt").GetDateTimeOffset());
        var repeat = await runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(suspect.BackupId, "bob"), CancellationToken.None);
        Assert.Equal((AcknowledgeOutcome.AlreadyAcknowledged, "alice", ack.At), (repeat.Outcome, repeat.By, repeat.At));

        // The other suspect still freezes the target; acknowledged too, the target is ok and prune proceeds.
        Assert.Equal(HealthStatus.Suspect, (await HealthAsync(runtime)).Status);
        await runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(again.BackupId, "alice"), CancellationToken.None);
        Assert.Equal(HealthStatus.Ok, (await HealthAsync(runtime)).Status);

        // The acknowledged change is the new normal: the next backup is compared with the newest acknowledged one (and any after it), and is normal.
        var after = await BackUpAsync(runtime, clock);
        Assert.Equal(AnomalyOutcome.Normal, after.Outcome);
        Assert.Contains($"median of 1 good backup(s) ({again.BackupId})", after.Detail, StringComparison.Ordinal);

        var released = await runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput("orders", DryRun: false), CancellationToken.None);
        Assert.Equal([again.BackupId, suspect.BackupId, second.BackupId, first.BackupId], released.Removed);
        Assert.DoesNotContain("frozen", released.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acknowledge_ABackupThatIsNotSuspect_IsRefusedAndRecordsNothing_AndADisabledGuardWritesNoRecord()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var db = await TestDatabase.CreateAsync("anomaly_off", Tables);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = Target(db.Connection, enabled: false) }, time: clock);

        var off = await BackUpAsync(vault.Runtime, clock);
        var ack = await vault.Runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(off.BackupId, "alice"), CancellationToken.None);

        Assert.Null(off.Outcome);
        Assert.Equal(CheckAnomalyActivity.DisabledDetail, off.Detail);
        Assert.Equal(AcknowledgeOutcome.NotSuspect, ack.Outcome);
        Assert.Contains("is not suspect (no anomaly check)", ack.Detail, StringComparison.Ordinal);
        Assert.True(BackupId.TryParse(off.BackupId, out var id));
        Assert.Equal(["verify"], (await vault.Runtime.Vault.ListChecksAsync(id, CancellationToken.None)).Select(c => c.Kind));
        await Assert.ThrowsAsync<BackupConfigurationException>(() => vault.Runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(off.BackupId, " "), CancellationToken.None));
    }

    [Fact]
    public async Task SuspectBackup_IsAnnouncedOnce_AndItsAcknowledgementAsARecovery()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var receiver = await HttpReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync("anomaly_notify", Tables);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = Target(db.Connection) }, time: clock);
        vault.Options.Notifications.WebhookUrl = receiver.Url;
        var notify = vault.Runtime.NotifyActivity();
        await BackUpAsync(vault.Runtime, clock);
        Assert.Empty((await notify.RunAsync(new NotifyInput(null), CancellationToken.None)).Notifications);

        await TestServers.ExecuteAsync(db.Name, "DELETE FROM orders WHERE id % 10 <> 0");
        var suspect = await BackUpAsync(vault.Runtime, clock);
        var announced = await notify.RunAsync(new NotifyInput(null), CancellationToken.None);
        var again = await notify.RunAsync(new NotifyInput(null), CancellationToken.None);
        await vault.Runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(suspect.BackupId, "alice"), CancellationToken.None);
        var recovered = await notify.RunAsync(new NotifyInput(null), CancellationToken.None);

        var message = Assert.Single(announced.Notifications);
        Assert.Equal(("suspect", true), (message.Kind, message.Delivered));
        Assert.StartsWith($"Backup of 'orders' is suspect: backup {suspect.BackupId} is suspect: ", message.Text, StringComparison.Ordinal);
        Assert.Contains("public.orders 200 vs median 2000 (-90%)", message.Text, StringComparison.Ordinal);
        Assert.Empty(again.Notifications);
        Assert.Equal("recovery", Assert.Single(recovered.Notifications).Kind);
        Assert.Equal("B000B0", receiver.Bodies.First()["themeColor"]!.GetValue<string>());
    }

    private static async Task<JsonElement> ReadAckRecordAsync(TestVault vault, string backupId)
    {
        Assert.True(BackupId.TryParse(backupId, out var id));
        var ack = (await vault.Runtime.Vault.ListChecksAsync(id, CancellationToken.None)).Single(c => c.Kind == AcknowledgeActivity.CheckKind);
        using var doc = JsonDocument.Parse((await vault.Container.GetBlobClient(ack.BlobName).DownloadContentAsync()).Value.Content.ToString());
        return doc.RootElement.Clone();
    }
}
