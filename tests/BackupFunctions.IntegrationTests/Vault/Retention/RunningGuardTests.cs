using System.Diagnostics;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Vault.Retention;

/// <summary>
/// The running guard reflects a backup that really runs: a live backup blocks prune; a failed,
/// cancelled or killed one stops blocking it at once (failed, cancelled) or once its lease lapses
/// (kill -9, within one lease).
/// </summary>
public class RunningGuardTests(ITestOutputHelper output)
{
    private const string Guard = "a backup of this target is running";
    private static readonly TimeSpan Lease = RunningMarker.MinLease;

    private static async Task<IReadOnlyList<VaultBlob>> MarkersAsync(BlobVault vault, string target) =>
        [.. (await vault.ListBlobsAsync(BlobLayout.TargetPrefix(target), CancellationToken.None))
            .Where(b => b.Name.EndsWith("/" + BlobLayout.RunningFileName, StringComparison.Ordinal))];

    private static Task<PruneBackupsOutput> PruneAsync(BackupRuntime runtime, string target) =>
        runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput(target, DryRun: false), CancellationToken.None);

    private static TargetOptions KeepLastOne(string connection)
    {
        var target = TestVault.Postgres(connection);
        target.Retention = new RetentionOptions { KeepLast = 1, KeepDaily = 0, KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0 };
        return target;
    }

    [Fact]
    public async Task AHeldMarker_BlocksPruneBeyondItsLease_BecauseItIsRenewed_AndPruneProceedsOnceItIsReleased()
    {
        await using var db = await TestDatabase.CreateAsync("guard_live", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var vault = await TestVault.CreateAsync(new() { ["p"] = KeepLastOne(db.Connection) }, minRetentionDays: 0, runningLease: Lease);
        var ids = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            ids.Add((await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("p"), null, CancellationToken.None)).BackupId);
        }

        Assert.Empty(await MarkersAsync(vault.Runtime.Vault, "p")); // finished backups leave no marker
        // A backup of p in flight (the same call BackupDatabaseActivity makes), held past its lease.
        var inFlight = BackupId.New("p", DateTimeOffset.UtcNow, new Random(2));
        var marker = await vault.Runtime.Vault.HoldRunningMarkerAsync(BlobLayout.Running(inFlight), BinaryData.FromString("{}"), CancellationToken.None);
        var held = Stopwatch.StartNew();
        var blockedRuns = new List<PruneBackupsOutput>();
        while (held.Elapsed < Lease + Lease / 2)
        {
            blockedRuns.Add(await PruneAsync(vault.Runtime, "p"));
            await Task.Delay(1000);
        }

        await marker.DisposeAsync();
        var after = await PruneAsync(vault.Runtime, "p");

        Assert.All(blockedRuns, blocked =>
        {
            Assert.Empty(blocked.Removed);
            Assert.Contains(Guard, blocked.Note, StringComparison.Ordinal);
            Assert.All(blocked.Decisions, d => Assert.Contains("guard: " + Guard, d.Reasons));
        });
        Assert.DoesNotContain(Guard, after.Note, StringComparison.Ordinal);
        Assert.Equal([ids[0]], after.Removed);
        Assert.Empty(await MarkersAsync(vault.Runtime.Vault, "p"));
    }

    [Fact]
    public async Task AFailedBackup_LeavesNoMarker_AndPruneRightAfterProceeds()
    {
        var db = await TestDatabase.CreateAsync("guard_fail", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        await using var vault = await TestVault.CreateAsync(new() { ["p"] = KeepLastOne(db.Connection) }, minRetentionDays: 0);
        string good = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("p"), null, CancellationToken.None)).BackupId;
        await db.DisposeAsync(); // the database is gone: the next backup fails after it has put up its marker

        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("p"), null, CancellationToken.None));
        var prune = await PruneAsync(vault.Runtime, "p");

        Assert.Contains("does not exist", failure.Message, StringComparison.Ordinal);
        Assert.Empty(await MarkersAsync(vault.Runtime.Vault, "p"));
        Assert.DoesNotContain(Guard, prune.Note, StringComparison.Ordinal);
        Assert.Equal([good], prune.Kept);
        Assert.DoesNotContain("guard: " + Guard, prune.Decisions.Single().Reasons);
    }

    [Fact]
    public async Task ABackupCancelledMidDump_BlocksPruneWhileItRuns_ThenLeavesNoMarker_AndPruneProceeds()
    {
        await using var db = await TestDatabase.CreateAsync("guard_cancel",
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 300000) g;");
        await using var vault = await TestVault.CreateAsync(new() { ["p"] = KeepLastOne(db.Connection) }, minRetentionDays: 0);
        using var cancel = new CancellationTokenSource();
        var dumping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new Callback(p =>
        {
            if (p.Bytes > 0)
            {
                dumping.TrySetResult();
            }
        });

        var backup = vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("p"), progress, cancel.Token);
        await dumping.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var whileRunning = await PruneAsync(vault.Runtime, "p");
        bool stillRunning = !backup.IsCompleted;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backup);
        var after = await PruneAsync(vault.Runtime, "p");

        Assert.True(stillRunning, "the dump finished before the test could cancel it; make the table larger");
        Assert.Contains(Guard, whileRunning.Note, StringComparison.Ordinal);
        Assert.Empty(await MarkersAsync(vault.Runtime.Vault, "p"));
        Assert.DoesNotContain(Guard, after.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABackupKilledWithSigkill_BlocksPruneUntilItsLeaseLapses_ThenPruneClearsTheMarkerAndProceeds()
    {
        await using var db = await TestDatabase.CreateAsync("guard_kill",
            "CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 300000) g;");
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(db.Connection) }, runningLease: Lease.ToString());
        var options = new BackupOptions
        {
            Storage = new StorageOptions { Connection = TestServers.Storage, Container = cli.Container, RunningLease = Lease },
            Targets = { ["orders"] = TestVault.Postgres(db.Connection) },
        };
        var runtime = BackupRuntime.Create(options, TimeProvider.System, NullLoggerFactory.Instance);

        VaultBlob? marker;
        await using (var backup = BackupfnProcess.Start("backup", "--config", cli.ConfigFile))
        {
            var waited = Stopwatch.StartNew();
            while ((marker = (await MarkersAsync(runtime.Vault, "orders")).FirstOrDefault(m => m.Leased)) is null)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(90), $"no leased running marker appeared:\n{string.Join('\n', backup.Lines)}");
                await Task.Delay(100);
            }

            await backup.KillAsync(); // while the backup holds its marker: during the dump
        }

        var killed = Stopwatch.StartNew();
        var first = await PruneAsync(runtime, "orders");
        PruneBackupsOutput last;
        do
        {
            Assert.True(killed.Elapsed < Lease + TimeSpan.FromSeconds(30), $"prune still refuses {killed.Elapsed.TotalSeconds:F0} s after the kill");
            await Task.Delay(500);
            last = await PruneAsync(runtime, "orders");
        }
        while (last.Note.Contains(Guard, StringComparison.Ordinal));

        output.WriteLine($"prune proceeded {killed.Elapsed.TotalSeconds:F1} s after kill -9 (lease {Lease.TotalSeconds:F0} s)");
        Assert.Contains(Guard, first.Note, StringComparison.Ordinal);
        Assert.Equal([marker.Name], last.StaleMarkersRemoved);
        Assert.Contains("1 running marker(s) of backups that no longer run were cleared", last.Note, StringComparison.Ordinal);
        Assert.Empty(await MarkersAsync(runtime.Vault, "orders"));
    }

    /// <summary>Progress reported on the caller's thread (<see cref="Progress{T}"/> would post it later).</summary>
    private sealed class Callback(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
