using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.IntegrationTests.Vault.Retention;

/// <summary>Prune against Azurite: deletes what the plan removes (manifest last), finishes a half-done prune, sweeps old orphans.</summary>
public class PruneTests
{

    private static async Task<(TestDatabase Db, TestVault Vault, List<string> Ids)> ThreeBackupsAsync(string name)
    {
        var db = await TestDatabase.CreateAsync(name, "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        var target = TestVault.Postgres(db.Connection);
        target.Retention = new RetentionOptions { KeepLast = 1, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0 };
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        var vault = await TestVault.CreateAsync(new() { ["p"] = target }, minRetentionDays: 0, time: clock);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add((await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("p"), null, CancellationToken.None)).BackupId);
            clock.Advance(TimeSpan.FromSeconds(1)); // distinct seconds, distinct ids
        }

        await vault.Runtime.VerifyBackupActivity().RunAsync(ids[^1], null, CancellationToken.None);
        return (db, vault, ids);
    }

    private static async Task<int> BlobsUnderAsync(TestVault vault, string backupId)
    {
        Assert.True(BackupId.TryParse(backupId, out var id));
        return (await vault.Runtime.Vault.ListBlobsAsync(BlobLayout.BackupPrefix(id), CancellationToken.None)).Count;
    }

    [Fact]
    public async Task Prune_RemovesWhatThePlanRemoves_EveryBlobOfIt_AndADryRunRemovesNothing()
    {
        var (db, vault, ids) = await ThreeBackupsAsync("prune");
        await using (db)
        await using (vault)
        {
            var activity = vault.Runtime.PruneBackupsActivity();
            var dry = await activity.RunAsync(new PruneBackupsInput("p", DryRun: true), CancellationToken.None);
            Assert.Equal([ids[1], ids[0]], dry.Removed);
            Assert.Equal(3, (await vault.Runtime.BackupCatalog().ListAsync("p", CancellationToken.None)).Count);

            var real = await activity.RunAsync(new PruneBackupsInput("p", DryRun: false), CancellationToken.None);

            Assert.Equal([ids[1], ids[0]], real.Removed);
            Assert.Equal([ids[2]], (await vault.Runtime.BackupCatalog().ListAsync("p", CancellationToken.None)).Select(e => e.Manifest.Id));
            Assert.Equal(0, await BlobsUnderAsync(vault, ids[0]));
            Assert.Equal(0, await BlobsUnderAsync(vault, ids[1]));
            Assert.Equal(3, await BlobsUnderAsync(vault, ids[2])); // data, manifest, verify record
            var again = await activity.RunAsync(new PruneBackupsInput("p", DryRun: false), CancellationToken.None);
            Assert.Empty(again.Removed);
        }
    }

    [Fact]
    public async Task Prune_InterruptedHalfway_IsFinishedByTheNextPrune()
    {
        var (db, vault, ids) = await ThreeBackupsAsync("prune_half");
        await using (db)
        await using (vault)
        {
            // What a prune that died after deleting the data (and before the manifest) leaves.
            Assert.True(BackupId.TryParse(ids[0], out var oldest));
            var manifest = (await vault.Runtime.Vault.ReadManifestAsync(oldest, CancellationToken.None))!;
            await vault.Container.GetBlobClient(manifest.Blobs.Data).DeleteAsync();
            Assert.Contains(ids[0], (await vault.Runtime.BackupCatalog().ListAsync("p", CancellationToken.None)).Select(e => e.Manifest.Id));

            var output = await vault.Runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput("p", DryRun: false), CancellationToken.None);

            Assert.Contains(ids[0], output.Removed);
            Assert.Equal(0, await BlobsUnderAsync(vault, ids[0]));
        }
    }

    [Fact]
    public async Task OrphanSweep_RemovesDataWithoutAManifest_OnlyOnceItIsADayOld()
    {
        var (db, vault, ids) = await ThreeBackupsAsync("prune_orphan");
        await using (db)
        await using (vault)
        {
            var orphan = BackupId.New("p", DateTimeOffset.UtcNow.AddHours(-1), new Random(11));
            string orphanData = BlobLayout.Data(orphan, "pgdump.br");
            await vault.Container.GetBlobClient(orphanData).UploadAsync(BinaryData.FromString("interrupted"));

            var today = await vault.Runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput("p", DryRun: false), CancellationToken.None);
            var twoDaysOn = BackupRuntime.Create(vault.Options, new ShiftedTime(TimeSpan.FromDays(2)), NullLoggerFactory.Instance);
            var later = await twoDaysOn.PruneBackupsActivity().RunAsync(new PruneBackupsInput("p", DryRun: false), CancellationToken.None);

            Assert.Empty(today.OrphansRemoved);
            Assert.Equal([orphanData], later.OrphansRemoved);
            Assert.Null(await vault.Runtime.Vault.StatAsync(orphanData, CancellationToken.None));
            Assert.Contains(ids[2], (await vault.Runtime.BackupCatalog().ListAsync("p", CancellationToken.None)).Select(e => e.Manifest.Id));
        }
    }
}
