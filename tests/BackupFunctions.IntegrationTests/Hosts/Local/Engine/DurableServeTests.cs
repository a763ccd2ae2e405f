using System.Net.Http.Json;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Runs;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Engine;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Engine;

/// <summary>
/// `backupfn serve` processes on one task hub: a run survives a SIGKILL of the process running it,
/// and two processes share the work without backing a target up twice.
/// </summary>
public sealed class DurableServeTests : IAsyncLifetime
{
    private readonly string _container = $"it-{Guid.NewGuid():N}";
    private readonly string _hub = TaskHubs.NewName();
    private readonly List<TestDatabase> _databases = [];
    private DurableEngine _client = null!;
    private BackupRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        var options = new BackupOptions { Storage = new StorageOptions { Connection = TestServers.Storage, Container = _container } };
        options.Local.TaskHub.Name = _hub;
        _runtime = BackupRuntime.Create(options, TimeProvider.System, NullLoggerFactory.Instance);
        _client = await DurableEngine.StartAsync(_runtime, ActivityEnvironment.None, NullLoggerFactory.Instance, worker: false); // reads the hub, runs nothing
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        foreach (var db in _databases)
        {
            await db.DisposeAsync();
        }

        await new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, _container).DeleteIfExistsAsync();
        await TaskHubs.DeleteAsync(_hub);
    }

    private async Task<TestDatabase> DatabaseAsync(string prefix, int rows)
    {
        var db = await TestDatabase.CreateAsync(prefix,
            $"CREATE TABLE t AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body FROM generate_series(1, {rows}) g;");
        _databases.Add(db);
        return db;
    }

    /// <summary>The body of POST /api/backups.</summary>
    private sealed record Accepted(string Id, bool Started, Dictionary<string, string> AlreadyRunning);

    private static async Task<Accepted> PostBackupAsync(BackupfnProcess serve, params string[] targets)
    {
        using var http = new HttpClient { BaseAddress = new Uri(serve.Url) };
        var response = await http.PostAsJsonAsync("/api/backups", new { targets });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Accepted>(TaskJson.Options))!;
    }

    private async Task<RunReport> WaitForRunAsync(string runId, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var done = await _client.WaitAsync(runId, cancel.Token, TimeSpan.FromMilliseconds(250));
        Assert.Equal(InstanceState.Completed, done.State);
        return JsonSerializer.Deserialize<RunReport>(done.SerializedOutput!, TaskJson.Options)!;
    }

    private async Task<int> ManifestsAsync(string target)
    {
        int count = 0;
        await foreach (var _ in _runtime.Vault.ListManifestsAsync(target, CancellationToken.None))
        {
            count++;
        }

        return count;
    }

    [Fact]
    public async Task KillNine_AfterTheBackupStep_ThenARestart_CompletesTheSameRun_WithoutRedoingFinishedActivities()
    {
        var db = await DatabaseAsync("kill", 200_000); // about 50 MB: verify and restore-test take long enough to be caught
        string config = BackupfnProcess.WriteConfig(_container, _hub, new { orders = new { Engine = "postgres", Connection = db.Connection } });
        await using var first = await BackupfnProcess.StartAsync(config);
        var start = await PostBackupAsync(first, "orders");
        Assert.True(start.Started);

        // The TargetBackup instance says which step it is in; kill as soon as the backup step is behind it.
        string child = $"{start.Id}-orders";
        string? stage = null;
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            while (stage is not ("verify" or "restore-test" or "prune"))
            {
                await Task.Delay(50, cancel.Token);
                var status = await _client.Client.GetAsync(child, cancel.Token);
                stage = status?.SerializedCustomStatus is { } custom ? JsonDocument.Parse(custom).RootElement.GetProperty("stage").GetString() : null;
                Assert.False(status is { IsActive: false }, $"the run finished before it could be killed: {status?.State}");
            }
        }

        await first.KillAsync();
        Assert.Equal(1, first.Count("Activity BackupDatabase of"));

        await using var second = await BackupfnProcess.StartAsync(config);
        RunReport report;
        try
        {
            report = await WaitForRunAsync(start.Id, TimeSpan.FromMinutes(3));
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the run did not complete after the restart; the second process said:\n{string.Join('\n', second.Lines.TakeLast(60))}");
            throw;
        }

        var target = Assert.Single(report.Targets);
        Assert.True(target.Succeeded, target.Error);
        Assert.Equal(1, await ManifestsAsync("orders")); // exactly one backup for the run
        Assert.Equal(0, second.Count("Activity BackupDatabase of")); // the finished backup step did not run again
        Assert.True(second.Count($"of {child} started") > 0, "the restarted process ran the rest of the run");
        Assert.NotNull(await _runtime.Vault.StatAsync(BlobLayout.RunReport(start.Id, new DateTimeOffset(report.StartedAt, TimeSpan.Zero)), CancellationToken.None));
        File.Delete(config);
    }

    [Fact]
    public async Task TwoProcessesOnOneHub_ShareTheWork_EachTargetBackedUpOnce_AndARepeatedRequestJoins()
    {
        var targets = new Dictionary<string, object>();
        foreach (string name in (string[])["alpha", "bravo", "charlie", "delta"])
        {
            var db = await DatabaseAsync(name, 100_000);
            targets[name] = new { Engine = "postgres", Connection = db.Connection };
        }

        // One activity at a time per process: the other three targets' work waits in the hub's queue for either process.
        string config = BackupfnProcess.WriteConfig(_container, _hub, targets, maxActivities: 1);
        await using var a = await BackupfnProcess.StartAsync(config);
        await using var b = await BackupfnProcess.StartAsync(config);

        var start = await PostBackupAsync(a, "alpha", "bravo", "charlie", "delta");
        var again = await PostBackupAsync(b, "alpha", "bravo", "charlie", "delta"); // the other process, while the first run is going
        Assert.True(start.Started);
        Assert.False(again.Started);
        Assert.Equal(start.Id, again.Id);
        Assert.All(again.AlreadyRunning.Values, id => Assert.Equal(start.Id, id));

        var report = await WaitForRunAsync(start.Id, TimeSpan.FromMinutes(3));
        Assert.All(report.Targets, t => Assert.True(t.Succeeded, t.Error));
        foreach (string name in targets.Keys)
        {
            Assert.Equal(1, await ManifestsAsync(name));
            Assert.Equal(1, a.Count($"Activity BackupDatabase of {start.Id}-{name} ") + b.Count($"Activity BackupDatabase of {start.Id}-{name} "));
        }

        int byA = a.Count("Activity "), byB = b.Count("Activity ");
        Assert.True(byA > 0 && byB > 0, $"both processes run activities (a: {byA}, b: {byB})");
        File.Delete(config);
    }
}
