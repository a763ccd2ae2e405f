using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>
/// Health from the real catalog and run reports: ok, late when the schedule passes, failing when the
/// newest backup is corrupt or the last run failed, pending between a backup and its verify.
/// </summary>
public class HealthTests
{
    private const string Table = "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 100);";

    private static async Task<string> BackUpAsync(BackupRuntime runtime, string target) =>
        (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput(target), null, CancellationToken.None)).BackupId;

    private static async Task<string> BackUpAndVerifyAsync(BackupRuntime runtime, string target)
    {
        string id = await BackUpAsync(runtime, target);
        await runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);
        return id;
    }

    private static async Task<TargetHealth> HealthAsync(TestVault vault) => (await vault.Runtime.HealthCheck().EvaluateAsync(CancellationToken.None)).Single();

    [Fact]
    public async Task Health_VerifiedBackup_IsOk_AndLateOnceTheScheduleHasPassedWithoutOne()
    {
        await using var db = await TestDatabase.CreateAsync("health", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) });
        string id = await BackUpAndVerifyAsync(vault.Runtime, "orders");

        var now = await vault.Runtime.HealthCheck().EvaluateAsync(CancellationToken.None);
        var later = BackupRuntime.Create(vault.Options, new ShiftedTime(TimeSpan.FromDays(3)), NullLoggerFactory.Instance);
        var threeDaysOn = await later.HealthCheck().EvaluateAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, now.Single().Status);
        Assert.Equal(id, now.Single().LastGoodBackup);
        Assert.Equal(HealthStatus.Late, threeDaysOn.Single().Status);
        Assert.Contains("no good backup since the run due at", threeDaysOn.Single().Reason, StringComparison.Ordinal);
        Assert.True(threeDaysOn.Single().AgeHours > 71);
    }

    [Fact]
    public async Task Health_NewestBackupFailsVerification_IsFailingAndKeepsTheLastGoodOne()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var db = await TestDatabase.CreateAsync("health_bad", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) }, time: clock);
        string good = await BackUpAndVerifyAsync(vault.Runtime, "orders");
        clock.Advance(TimeSpan.FromMinutes(1)); // the next backup is the newest
        string newest = await BackUpAsync(vault.Runtime, "orders");
        Assert.True(BackupId.TryParse(newest, out var parsed));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(parsed, CancellationToken.None))!;
        var blob = vault.Container.GetBlobClient(manifest.Blobs.Data);
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 1;
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
        await vault.Runtime.VerifyBackupActivity().RunAsync(newest, null, CancellationToken.None);

        var health = await HealthAsync(vault);

        Assert.Equal(HealthStatus.Failing, health.Status);
        Assert.Contains("failed verification (ChecksumMismatch)", health.Reason, StringComparison.Ordinal);
        Assert.Equal(good, health.LastGoodBackup);
    }

    [Fact]
    public async Task Health_FirstBackupNotYetVerified_IsPending_NotAnAlert_ThenFailingOnceTheGraceHasPassed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var db = await TestDatabase.CreateAsync("health_pending", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) }, time: clock);
        string id = await BackUpAsync(vault.Runtime, "orders");

        var pending = await HealthAsync(vault);
        clock.Advance(HealthCheck.Grace + TimeSpan.FromMinutes(1));
        var stale = await HealthAsync(vault);

        Assert.Equal(HealthStatus.Pending, pending.Status);
        Assert.False(pending.Status.IsBad());
        Assert.Equal($"newest backup {id} awaits verification", pending.Reason);
        Assert.Null(pending.LastGoodBackup);
        Assert.Equal(HealthStatus.Failing, stale.Status);
        Assert.StartsWith($"no backup has been verified (newest {id}", stale.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_LastRunFailed_IsFailingWithItsReason_UntilABackupOvertakesIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var db = await TestDatabase.CreateAsync("health_run", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) }, time: clock);
        string good = await BackUpAndVerifyAsync(vault.Runtime, "orders");
        clock.Advance(TimeSpan.FromMinutes(5));
        var start = clock.GetUtcNow();
        string runId = Orchestrations.Intake.RunStarter.NewRunId(start);
        var failed = new TargetReport { Target = "orders", Outcome = TargetOutcome.Failed, Error = "pg_dump: connection refused (Unavailable)" };
        await vault.Runtime.WriteRunReportActivity().RunAsync(
            new RunReport(runId, "timer", start.UtcDateTime, start.UtcDateTime.AddSeconds(30), RunState.Failed, [failed]), CancellationToken.None);

        var afterFailure = await HealthAsync(vault);
        clock.Advance(TimeSpan.FromMinutes(5));
        string next = await BackUpAndVerifyAsync(vault.Runtime, "orders");
        var afterNextBackup = await HealthAsync(vault);

        Assert.Equal(HealthStatus.Failing, afterFailure.Status);
        Assert.Equal($"last run failed: pg_dump: connection refused (Unavailable) (run {runId})", afterFailure.Reason);
        Assert.Equal(good, afterFailure.LastGoodBackup); // the last good backup is still named
        Assert.Equal(HealthStatus.Ok, afterNextBackup.Status);
        Assert.Equal(next, afterNextBackup.LastGoodBackup);
    }
}
