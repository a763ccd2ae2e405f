using System.Diagnostics;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// Storage goes away for 20 s in the middle of a backup's upload: `backupfn backup` (a child
/// process) writes to an Azurite of its own, which is stopped once the data blob has blocks staged
/// and started again 20 s later on the same ports and data. The engine's task hub is on the same
/// Azurite (Local:TaskHub:Connection defaults to Storage:Connection), so the engine suffers the
/// outage too, as it would on one storage account. What happens (measured, about 63 s in all): the
/// SDK's own retry (5 retries from 0.5 s, about 15 s) runs out while storage is still down; the
/// attempt fails as a Storage failure and the CLI shows it in one line with `retry 2/3 in 30 s`;
/// the engine's durable timer waits; the second attempt (same backup id: nothing was committed)
/// succeeds. BackupDatabase's retry budget (30 s, then 60 s) outlasts a 20 s outage, so the test
/// requires success (a failure's error lines are in its message). Before the fix that came with
/// this test, the CLI itself gave up: its status polls of the hub failed and it exited 1 while the
/// run was fine. The CLI tests' 10 s WorkItemTimeout is not used here: with it, the in-flight
/// activity's message is redelivered during the outage (its lock cannot be renewed), and
/// DurableTask.Core's dispatcher then backs off 10 s per fetch for five operations after a
/// pop-receipt conflict: the run still succeeded, in 158 s. The product default (1 min) avoids that.
/// </summary>
public sealed class StorageOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AzuriteStoppedFor20sDuringTheUpload_TheBackupIsRetriedAndSucceeds_AndOnlyWholeBackupsAreListed()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var pg = await PostgresServerProcess.StartAsync();
        // About 90 MB stored without compression: the upload to Azurite takes seconds.
        await pg.CreateDatabaseAsync("orders",
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 400000) g;");
        await using var cli = new CliRunner(new() { ["orders"] = new { Engine = "postgres", Connection = pg.Connection("orders"), Compression = "none", Retention = new { KeepLast = 3 } } },
            storage: azurite.Storage);
        var container = new BlobContainerClient(azurite.Storage, cli.Container);

        var clock = Stopwatch.StartNew();
        // The product's WorkItemTimeout (1 min), not the 10 s the CLI tests use to re-run killed activities quickly.
        await using var backup = BackupfnProcess.Start(["backup", "--config", cli.ConfigFile],
            new Dictionary<string, string?> { ["Backup__Local__TaskHub__WorkItemTimeout"] = "00:01:00" });
        string staged = await UploadUnderWayAsync(container, backup);
        var stoppedAt = clock.Elapsed;
        await azurite.StopAsync();
        await Task.Delay(Outage); // the fault itself
        await azurite.StartAgainAsync();
        output.WriteLine($"Azurite stopped {stoppedAt.TotalSeconds:0.0} s after the start, with {staged} staged; started again {clock.Elapsed.TotalSeconds:0.0} s");

        int exit;
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            exit = await backup.ExitCodeAsync(limit.Token);
        }

        var lines = backup.Lines;
        output.WriteLine($"exit {exit} after {clock.Elapsed.TotalSeconds:0.0} s; output:\n{string.Join('\n', lines.Where(l => !l.StartsWith("warning: Immutability", StringComparison.Ordinal)))}");
        var errors = lines.Where(l => l.StartsWith("backupfn backup:", StringComparison.Ordinal) && !l.Contains("joining run", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)); // no stack trace, either way
        Assert.True(exit == 0, $"the run failed (exit {exit}) instead of retrying through a {Outage.TotalSeconds:0} s outage; its error lines: {string.Join(" / ", errors)}");
        Assert.Empty(errors);
        Assert.Contains(lines, l => l.Contains("1/1 targets succeeded", StringComparison.Ordinal));
        // The attempt that met the outage, and its retry, were shown in one line that names the target and the fix.
        var notice = Assert.Single(lines, l => l.Contains("orders backup:", StringComparison.Ordinal) && l.Contains("retry 2/3 in 30 s", StringComparison.Ordinal));
        Assert.Contains("target 'orders': storage unreachable after retries: Connection refused", notice, StringComparison.Ordinal);
        Assert.Contains("(is Azurite running?", notice, StringComparison.Ordinal);

        var listed = await VaultAudit.AssertListedAreWholeAsync(cli, container, new HashSet<string>(StringComparer.Ordinal));
        Assert.Single(listed);
        Assert.DoesNotContain(await VaultAudit.FoldersAsync(container), f => !f.HasManifest); // the retry reused its id: no orphan
    }

    /// <summary>Waits until the data blob of the backup has blocks staged but not committed: the upload is under way.</summary>
    private static async Task<string> UploadUnderWayAsync(BlobContainerClient container, BackupfnProcess backup)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            Assert.False(backup.ExitCodeAsync(CancellationToken.None).IsCompleted, $"the backup ended before the outage:\n{string.Join('\n', backup.Lines)}");
            if (await container.ExistsAsync(limit.Token))
            {
                await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.Uncommitted, "orders/", limit.Token))
                {
                    if (blob.Name.Contains("/data.", StringComparison.Ordinal))
                    {
                        var blocks = (await container.GetBlockBlobClient(blob.Name).GetBlockListAsync(BlockListTypes.All, cancellationToken: limit.Token)).Value;
                        Assert.Empty(blocks.CommittedBlocks); // caught after the upload: the dump is too small for this machine
                        if (blocks.UncommittedBlocks.Any())
                        {
                            return $"{blocks.UncommittedBlocks.Count()} blocks of {blob.Name}";
                        }
                    }
                }
            }

            await Task.Delay(50, limit.Token);
        }
    }
}
