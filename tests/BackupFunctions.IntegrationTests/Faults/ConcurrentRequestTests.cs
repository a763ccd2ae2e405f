using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Runs;
using BackupFunctions.IntegrationTests.Hosts.Local.Serve;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// 50 POST /api/backups to one `serve` (in-process, real Kestrel and engine) at once, each for a
/// seeded random subset of four targets and sent after a seeded jitter of up to 5 s, so requests
/// overlap running runs and arrive after some have finished. Every request gets 202 and a run that
/// covers each of its targets (the run it started, or the one in `alreadyRunning`), and no target
/// is ever in two runs at once: per target, the TargetBackup instances of the runs that include it
/// do not overlap in time, nor do its backups (manifest StartedAt..CompletedAt), and the number of
/// its backups is the number of runs that started it.
/// </summary>
public sealed class ConcurrentRequestTests(ITestOutputHelper output)
{
    private const int Seed = 12_50;
    private const int Requests = 50;
    private static readonly string[] TargetNames = ["t1", "t2", "t3", "t4"];

    private sealed record Answer(string[] Requested, HttpStatusCode Status, string? Location, string Id, bool Started, Dictionary<string, string> AlreadyRunning);

    [Fact]
    public async Task FiftyConcurrentRequests_ForOverlappingTargets_EachGetsARunCoveringItsTargets_AndNoTargetRunsTwiceAtOnce()
    {
        await using var pg = await PostgresServerProcess.StartAsync();
        var targets = new Dictionary<string, TargetOptions>();
        foreach (string name in TargetNames)
        {
            await pg.CreateDatabaseAsync(name, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 5000) g;");
            targets[name] = new TargetOptions { Engine = "postgres", Connection = pg.Connection(name), Retention = new RetentionOptions { KeepLast = 100 } };
        }

        await using var serve = await ServeFixture.StartAsync(targets);
        var random = new Random(Seed);
        var plan = Enumerable.Range(0, Requests).Select(_ =>
        {
            string[] subset = [.. TargetNames.Where(_ => random.Next(2) == 0)];
            return (Targets: subset.Length > 0 ? subset : [TargetNames[random.Next(TargetNames.Length)]], Jitter: TimeSpan.FromMilliseconds(random.Next(5000)));
        }).ToList();

        var answers = await Task.WhenAll(plan.Select(async p =>
        {
            await Task.Delay(p.Jitter);
            var response = await serve.Http.PostAsJsonAsync("/api/backups", new { targets = p.Targets });
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {body}");
            var json = JsonDocument.Parse(body).RootElement;
            return new Answer(p.Targets, response.StatusCode, response.Headers.Location?.ToString(), json.GetProperty("id").GetString()!,
                json.GetProperty("started").GetBoolean(),
                json.GetProperty("alreadyRunning").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!, StringComparer.Ordinal));
        }));

        // What each started run was asked to back up: the request's targets that were not already running.
        var startedRuns = answers.Where(a => a.Started)
            .ToDictionary(a => a.Id, a => a.Requested.Where(t => !a.AlreadyRunning.ContainsKey(t)).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var a in answers)
        {
            Assert.Equal($"/api/runs/{a.Id}", a.Location);
            Assert.All(a.AlreadyRunning.Values, run => Assert.True(startedRuns.ContainsKey(run), $"joined {run}, which no request started"));
            Assert.True(a.Started || a.Requested.All(a.AlreadyRunning.ContainsKey), "a request that started nothing must have joined runs for all its targets");
        }

        await using var hub = await TaskHubs.ReaderAsync(serve.Vault.Options.Local.TaskHub.Name);
        var reports = new Dictionary<string, RunReport>(StringComparer.Ordinal);
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            foreach (string run in startedRuns.Keys)
            {
                var done = await hub.WaitAsync(run, limit.Token, TimeSpan.FromMilliseconds(250));
                Assert.True(done.State == InstanceState.Completed, $"{run}: {done.State} {done.FailureMessage}");
                reports[run] = JsonSerializer.Deserialize<RunReport>(done.SerializedOutput!, TaskJson.Options)!;
            }
        }

        foreach (var (run, asked) in startedRuns)
        {
            Assert.Equal(asked.Order(StringComparer.Ordinal), reports[run].Targets.Select(t => t.Target).Order(StringComparer.Ordinal));
            Assert.All(reports[run].Targets, t => Assert.True(t.Succeeded, $"{run} {t.Target}: {t.Error}"));
        }

        foreach (var a in answers)
        {
            foreach (string target in a.Requested)
            {
                string covering = a.AlreadyRunning.GetValueOrDefault(target, a.Id);
                Assert.Contains(target, startedRuns[covering]); // the run the answer names for the target backs it up
            }
        }

        foreach (string target in TargetNames)
        {
            var runs = startedRuns.Where(r => r.Value.Contains(target)).Select(r => r.Key).ToList();
            var instances = new List<InstanceStatus>();
            foreach (string run in runs)
            {
                instances.Add((await hub.Client.GetAsync($"{run}-{target}", CancellationToken.None))!);
            }

            AssertNoOverlap(target, "TargetBackup instances", instances.Select(i => (i.InstanceId, i.CreatedAt, i.LastUpdatedAt)));
            var manifests = new List<BackupManifest>();
            await foreach (var m in serve.Runtime.Vault.ListManifestsAsync(target, CancellationToken.None))
            {
                manifests.Add(m);
            }

            Assert.Equal(runs.Count, manifests.Count);
            AssertNoOverlap(target, "backups", manifests.Select(m => (m.Id, m.StartedAt, m.CompletedAt)));
            output.WriteLine($"{target}: {runs.Count} runs, {manifests.Count} backups, one at a time");
        }

        output.WriteLine($"{Requests} requests: {startedRuns.Count} started a run, {answers.Count(a => a.AlreadyRunning.Count > 0)} joined one");
    }

    private static void AssertNoOverlap(string target, string what, IEnumerable<(string Id, DateTimeOffset From, DateTimeOffset To)> spans)
    {
        var ordered = spans.OrderBy(s => s.From).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i - 1].To <= ordered[i].From,
                $"{target}: {what} overlap: {ordered[i - 1].Id} ({ordered[i - 1].From:HH:mm:ss.fff}-{ordered[i - 1].To:HH:mm:ss.fff}) and " +
                $"{ordered[i].Id} ({ordered[i].From:HH:mm:ss.fff}-{ordered[i].To:HH:mm:ss.fff})");
        }
    }
}
