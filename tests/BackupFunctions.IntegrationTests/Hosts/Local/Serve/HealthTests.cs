using BackupFunctions.Vault.Storage;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>Freshness from the real catalog: ok, then late when the schedule passes, failing when the newest backup is corrupt.</summary>
public class HealthTests
{
    private const string Table = "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 100);";

    private static async Task<string> BackUpAndVerifyAsync(BackupRuntime runtime, string target)
    {
        string id = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput(target), null, CancellationToken.None)).BackupId;
        await runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);
        return id;
    }

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
        await using var db = await TestDatabase.CreateAsync("health_bad", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) });
        string good = await BackUpAndVerifyAsync(vault.Runtime, "orders");
        await Task.Delay(1100); // a later second, so the next backup is the newest
        string newest = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
        Assert.True(BackupId.TryParse(newest, out var parsed));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(parsed, CancellationToken.None))!;
        var blob = vault.Container.GetBlobClient(manifest.Blobs.Data);
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 1;
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
        await vault.Runtime.VerifyBackupActivity().RunAsync(newest, null, CancellationToken.None);

        var health = (await vault.Runtime.HealthCheck().EvaluateAsync(CancellationToken.None)).Single();

        Assert.Equal(HealthStatus.Failing, health.Status);
        Assert.Contains("failed verification (ChecksumMismatch)", health.Reason, StringComparison.Ordinal);
        Assert.Equal(good, health.LastGoodBackup);
    }
}
