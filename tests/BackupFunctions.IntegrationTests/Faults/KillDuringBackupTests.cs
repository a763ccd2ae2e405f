using System.Diagnostics;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// `backupfn backup` (the real CLI, a child process) killed with SIGKILL at ten points spread over a
/// backup's whole duration (measured first, start to exit): one in each tenth of 90 % of it, at a
/// seeded random offset, so the kills land in the engine's start, the dump and upload, verify,
/// restore-test and prune. After each kill the
/// catalog lists only whole backups and each verifies; afterwards the next backup succeeds and
/// prune, a day later, sweeps the half-written data of the killed attempts.
/// Each killed process runs on a task hub of its own: on a shared hub the next process waits for
/// the dead one's partition lease (~30 s, docs/engine.md), which would make ten kills take over
/// five minutes. Joining and finishing an interrupted run on the same hub is what
/// InterruptedBackupTests and ServeKillTests cover; here every killed run is abandoned, which is
/// the case that leaves orphans for prune.
/// </summary>
public sealed class KillDuringBackupTests(ITestOutputHelper output)
{
    private const int Seed = 12_10;
    private const int Kills = 10;

    [Fact]
    public async Task KillNine_AtTenPointsOfABackup_ListsOnlyWholeBackups_ThatVerify_TheNextBackupSucceeds_AndPruneSweepsTheOrphans()
    {
        await using var pg = await PostgresServerProcess.StartAsync(); // scratch databases of a killed restore test die with it
        await pg.CreateDatabaseAsync("orders",
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) || md5((-g)::text) || repeat('x', 40) AS body FROM generate_series(1, 500000) g;");
        await using var cli = new CliRunner(new()
        {
            ["orders"] = new { Engine = "postgres", Connection = pg.Connection("orders"), Retention = new { KeepLast = 100 } }, // keeps every backup
        });
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, cli.Container);
        var hubs = new List<string>();
        try
        {
            // One whole backup first: how long a backup takes, start to exit, here and now.
            var clock = Stopwatch.StartNew();
            await using (var whole = BackupfnProcess.Start("backup", "--config", cli.ConfigFile))
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                Assert.True(await whole.ExitCodeAsync(limit.Token) == 0, string.Join('\n', whole.Lines));
            }

            var duration = clock.Elapsed;
            var verified = new HashSet<string>(StringComparer.Ordinal);
            Assert.Single(await VaultAudit.AssertListedAreWholeAsync(cli, container, verified));

            // One kill in each tenth of 90 % of that: later runs are a little quicker than the first (warm caches).
            var random = new Random(Seed);
            int finishedFirst = 0, killedAfterManifest = 0, listedBefore = 1;
            for (int i = 0; i < Kills; i++)
            {
                var delay = duration * 0.9 * ((i + random.NextDouble()) / Kills);
                string hub = TaskHubs.NewName();
                hubs.Add(hub);
                await using var backup = BackupfnProcess.Start(["backup", "--config", cli.ConfigFile],
                    new Dictionary<string, string?> { ["Backup__Local__TaskHub__Name"] = hub });
                var exited = backup.ExitCodeAsync(CancellationToken.None);
                bool finished = await Task.WhenAny(exited, Task.Delay(delay)) == exited;
                await backup.KillAsync();
                var listed = await VaultAudit.AssertListedAreWholeAsync(cli, container, verified);
                var folders = await VaultAudit.FoldersAsync(container);
                finishedFirst += finished ? 1 : 0;
                killedAfterManifest += !finished && listed.Count > listedBefore ? 1 : 0; // in verify, restore-test or prune
                listedBefore = listed.Count;
                output.WriteLine($"kill {i + 1} at {delay.TotalSeconds:0.0} s of {duration.TotalSeconds:0.0} s{(finished ? " (had finished)" : "")}: " +
                                 $"{listed.Count} listed, {folders.Count(f => !f.HasManifest)} unlisted folders");
            }

            Assert.True(finishedFirst <= 3, $"{finishedFirst} of {Kills} backups finished before their kill: the kill points missed the backup");
            Assert.True(killedAfterManifest > 0, "no kill landed after a manifest (in verify, restore-test or prune)");
            var orphans = (await VaultAudit.FoldersAsync(container)).Where(f => !f.HasManifest).ToList();
            Assert.NotEmpty(orphans); // kills in the dump leave data (blocks, running marker) without a manifest

            var next = await cli.RunAsync("backup");
            Assert.True(next.Exit == 0, next.Err);
            var before = await VaultAudit.AssertListedAreWholeAsync(cli, container, verified);

            // A day later (the orphan age), prune sweeps every folder without a manifest and keeps every backup.
            // The clock is shifted, Azurite's is not: a day later every killed backup's running-marker lease
            // has lapsed, so break them here as the lapse would (prune then clears the markers).
            await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "orders/", CancellationToken.None))
            {
                if (item.Name.EndsWith("/running.json", StringComparison.Ordinal) && item.Properties.LeaseState == LeaseState.Leased)
                {
                    await container.GetBlobClient(item.Name).GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
                }
            }

            var options = new BackupOptions { Storage = new StorageOptions { Connection = TestServers.Storage, Container = cli.Container } };
            options.Targets["orders"] = new TargetOptions { Engine = "postgres", Connection = pg.Connection("orders"), Retention = new RetentionOptions { KeepLast = 100 } };
            var later = BackupRuntime.Create(options, new ShiftedTime(PruneBackupsActivity.OrphanAge + TimeSpan.FromHours(1)), NullLoggerFactory.Instance);
            var prune = await later.PruneBackupsActivity().RunAsync(new PruneBackupsInput("orders", DryRun: false), CancellationToken.None);
            Assert.Empty(prune.Removed);
            Assert.All(orphans, o => Assert.Contains(prune.OrphansRemoved.Concat(prune.StaleMarkersRemoved), b => b.StartsWith(o.Prefix, StringComparison.Ordinal)));
            Assert.DoesNotContain(await VaultAudit.FoldersAsync(container), f => !f.HasManifest);
            Assert.Equal(before, await VaultAudit.AssertListedAreWholeAsync(cli, container, verified));
            output.WriteLine($"{before.Count} backups listed and verified; prune swept {orphans.Count} orphan folders ({prune.OrphansRemoved.Count} blobs)");
        }
        finally
        {
            foreach (string hub in hubs)
            {
                await TaskHubs.DeleteAsync(hub);
            }
        }
    }
}
