using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Storage;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>The local timer trigger really starts runs on its NCRONTAB schedule.</summary>
public class ScheduleTriggerTests
{
    [Fact]
    public async Task Timer_EveryTwoSeconds_StartsAnOrchestratedRun_AndLogsTheNextOccurrences()
    {
        await using var db = await TestDatabase.CreateAsync("timer", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) }, schedule: "*/2 * * * * *");

        var deadline = DateTime.UtcNow.AddSeconds(45);
        IReadOnlyList<CatalogEntry> entries = [];
        while (DateTime.UtcNow < deadline && !entries.Any(e => e.LastRestoreTest == RestoreTestOutcome.Passed))
        {
            await Task.Delay(500);
            entries = await serve.Runtime.BackupCatalog().ListAsync("orders", CancellationToken.None);
        }

        Assert.Contains(entries, e => e.LastVerify == VerificationStatus.Ok && e.LastRestoreTest == RestoreTestOutcome.Passed);
        Assert.Contains(serve.Logs.Messages, m => m.StartsWith("Schedule \"*/2 * * * * *\" for orders: next runs", StringComparison.Ordinal));
        Assert.Contains(serve.Logs.Messages, m => m.StartsWith("Timer started run run-", StringComparison.Ordinal));
    }
}
