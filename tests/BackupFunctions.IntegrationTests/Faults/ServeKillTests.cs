using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Orchestrations.Intake;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// `backupfn serve` (a child process) killed with SIGKILL at three seeded random points of a run
/// started by POST /api/backups, and started again on the same task hub: each run completes with
/// exactly one backup per target, listed and verified. The three points are three runs, each on
/// its own hub, container and serve, killed once and run at the same time: a restart on the hub
/// waits for the dead process's partition lease (~30 s, docs/engine.md), so one run killed three
/// times in a row would take three times as long. The points are stratified over a run's measured
/// duration alone (early, middle, late third), at seeded offsets.
/// </summary>
public sealed class ServeKillTests(ITestOutputHelper output)
{
    private const int Seed = 12_02;
    private static readonly string[] TargetNames = ["alpha", "bravo"];

    [Fact]
    public async Task KillNine_AtThreePointsOfARun_ThenARestartOnTheSameHub_CompletesEachRun_WithOneVerifiedBackupPerTarget()
    {
        await using var pg = await PostgresServerProcess.StartAsync(); // a killed restore test's scratch database dies with it
        foreach (string name in TargetNames)
        {
            await pg.CreateDatabaseAsync(name,
                "CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, 150000) g;");
        }

        var targets = TargetNames.ToDictionary(n => n, n => (object)new { Engine = "postgres", Connection = pg.Connection(n), Retention = new { KeepLast = 3 } });

        // How long a run takes, start to finish, on a serve of its own.
        TimeSpan duration;
        await using (var baseline = new Trial(targets))
        {
            await using var serve = await BackupfnProcess.StartAsync(baseline.Config);
            var clock = Stopwatch.StartNew();
            string run = await PostBackupAsync(serve);
            await baseline.WaitForRunAsync(run, serve);
            duration = clock.Elapsed;
        }

        var random = new Random(Seed);
        // Spread over the whole duration: three runs at once are slower than the one measured alone.
        var points = Enumerable.Range(0, 3).Select(k => duration * ((k + random.NextDouble()) / 3)).ToList();
        var trials = points.Select(_ => new Trial(targets)).ToList();
        try
        {
            var outcomes = await Task.WhenAll(trials.Zip(points, (trial, point) => KillAndRestartAsync(trial, point)));
            foreach (string line in outcomes)
            {
                output.WriteLine(line);
            }
        }
        finally
        {
            foreach (var trial in trials)
            {
                await trial.DisposeAsync();
            }
        }
    }

    /// <summary>One run: POST, SIGKILL after <paramref name="point"/>, serve again on the hub, then the checks.</summary>
    private static async Task<string> KillAndRestartAsync(Trial trial, TimeSpan point)
    {
        string run;
        string stage;
        await using (var first = await BackupfnProcess.StartAsync(trial.Config))
        {
            run = await PostBackupAsync(first);
            await Task.Delay(point);
            await first.KillAsync();
        }

        stage = await trial.StageAsync(run); // what the hub holds of the run the kill interrupted
        Assert.True(stage != "finished", $"run {run} finished before its kill at {point.TotalSeconds:0.0} s");

        var clock = Stopwatch.StartNew();
        await using var second = await BackupfnProcess.StartAsync(trial.Config);
        var report = await trial.WaitForRunAsync(run, second);
        Assert.All(report.Targets, t => Assert.True(t.Succeeded, $"{t.Target}: {t.Error}"));
        Assert.Equal(TargetNames, report.Targets.Select(t => t.Target).Order(StringComparer.Ordinal));

        var listed = await VaultAudit.AssertListedAreWholeAsync(trial.Cli, trial.Container, new HashSet<string>(StringComparer.Ordinal));
        Assert.Equal(TargetNames, listed.Select(id => id[..id.IndexOf('-', StringComparison.Ordinal)]).Order(StringComparer.Ordinal)); // one per target
        return $"run {run} killed at {point.TotalSeconds:0.0} s ({stage}); completed {clock.Elapsed.TotalSeconds:0.0} s after the restart; " +
               $"{listed.Count} backups listed and verified";
    }

    private static async Task<string> PostBackupAsync(BackupfnProcess serve)
    {
        using var http = new HttpClient { BaseAddress = new Uri(serve.Url) };
        var response = await http.PostAsJsonAsync("/api/backups", new { targets = TargetNames });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("started").GetBoolean());
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>A container, a task hub and a serve config of their own, and a CLI over the container (list, verify).</summary>
    private sealed class Trial : IAsyncDisposable
    {
        private readonly string _hub = TaskHubs.NewName();

        public Trial(Dictionary<string, object> targets)
        {
            Cli = new CliRunner(targets);
            Container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, Cli.Container);
            Config = BackupfnProcess.WriteConfig(Cli.Container, _hub, targets, maxActivities: 1); // one activity at a time: a longer run, more points to hit
        }

        public CliRunner Cli { get; }
        public Azure.Storage.Blobs.BlobContainerClient Container { get; }
        public string Config { get; }

        /// <summary>Where the run is: the stage of its first active target, "finishing" when none, "finished" when the run is over.</summary>
        public async Task<string> StageAsync(string run)
        {
            await using var hub = await TaskHubs.ReaderAsync(_hub);
            if ((await hub.Client.GetAsync(run, CancellationToken.None)) is { IsActive: false })
            {
                return "finished";
            }

            foreach (var child in await hub.Client.ListActiveAsync(run + "-", CancellationToken.None))
            {
                if (child.SerializedCustomStatus is { } custom)
                {
                    var status = JsonDocument.Parse(custom).RootElement;
                    return $"{child.InstanceId[(run.Length + 1)..]} {status.GetProperty("stage").GetString()}";
                }
            }

            return "finishing";
        }

        public async Task<RunReport> WaitForRunAsync(string run, BackupfnProcess serve)
        {
            await using var hub = await TaskHubs.ReaderAsync(_hub);
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            try
            {
                var done = await hub.WaitAsync(run, limit.Token, TimeSpan.FromMilliseconds(250));
                Assert.Equal(InstanceState.Completed, done.State);
                return JsonSerializer.Deserialize<RunReport>(done.SerializedOutput!, TaskJson.Options)!;
            }
            catch (OperationCanceledException)
            {
                // Where the hub says the run stopped (which target, which stage), to tell a stuck activity from a run never picked up.
                string stage = await StageAsync(run);
                Assert.Fail($"run {run} did not complete within 3 minutes (the hub has it at: {stage}); serve said:\n{string.Join('\n', serve.Lines.TakeLast(40))}");
                throw;
            }
        }


        public async ValueTask DisposeAsync()
        {
            File.Delete(Config);
            await Cli.DisposeAsync();
            await TaskHubs.DeleteAsync(_hub);
        }
    }
}
