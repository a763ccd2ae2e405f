using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Engines;
using BackupFunctions.Local.Orchestration;
using BackupFunctions.Orchestrations;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>
/// The orchestrators under the local host's in-process context, with scripted activities (no
/// servers): bounded fan-out, failure isolation, retries, and prune only after a verified backup.
/// </summary>
public class InProcessOrchestrationTests
{
    private sealed class ScriptedActivities
    {
        private int _running;
        private int _maxRunning;
        private readonly List<string> _calls = [];

        public Func<string, string, int, Exception?> FailWhen { get; init; } = (_, _, _) => null;
        public Func<string, bool> VerifyOk { get; init; } = _ => true;
        public TimeSpan BackupDuration { get; init; } = TimeSpan.FromMilliseconds(50);
        public int MaxRunningBackups => _maxRunning;

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_calls)
                {
                    return _calls.ToList();
                }
            }
        }

        public async Task<string> InvokeAsync(string name, string input, CancellationToken cancellationToken)
        {
            int attempt;
            lock (_calls)
            {
                _calls.Add($"{name}:{input}");
                attempt = _calls.Count(c => c == $"{name}:{input}");
            }

            if (FailWhen(name, input, attempt) is { } failure)
            {
                throw failure;
            }

            if (name == TaskNames.Activities.BackupDatabase)
            {
                int now = Interlocked.Increment(ref _running);
                lock (_calls)
                {
                    _maxRunning = Math.Max(_maxRunning, now);
                }

                await Task.Delay(BackupDuration, cancellationToken);
                Interlocked.Decrement(ref _running);
            }

            return DeterminismTests.Respond(name, input, VerifyOk);
        }
    }

    private static async Task<RunReport> RunAsync(ScriptedActivities activities, BackupAllInput input)
    {
        var host = new InProcessOrchestrationHost(activities.InvokeAsync, TimeProvider.System, NullLoggerFactory.Instance, _ => TimeSpan.Zero);
        string json = await host.StartAsync(TaskNames.Orchestrators.BackupAll, "run-test", input, CancellationToken.None);
        return JsonSerializer.Deserialize<RunReport>(json, ActivityRegistry.Json)!;
    }

    [Fact]
    public async Task BackupAll_FansOutButNeverRunsMoreThanMaxParallelTargets()
    {
        var activities = new ScriptedActivities { BackupDuration = TimeSpan.FromMilliseconds(150) };

        var report = await RunAsync(activities, new BackupAllInput(["a", "b", "c", "d", "e", "f"], 2, "test"));

        Assert.Equal(2, activities.MaxRunningBackups);
        Assert.Equal(6, report.Targets.Count(t => t.Succeeded));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], report.Targets.Select(t => t.Target));
        Assert.Equal(Outcomes.Completed, report.Status);
    }

    [Fact]
    public async Task BackupAll_OneTargetFailing_DoesNotStopTheOthers()
    {
        var activities = new ScriptedActivities
        {
            FailWhen = (name, input, _) => name == TaskNames.Activities.BackupDatabase && input.Contains("\"b\"", StringComparison.Ordinal)
                ? new EngineException(FailureKind.Authentication, "target 'b': authentication failed for user 'app'")
                : null,
        };

        var report = await RunAsync(activities, new BackupAllInput(["a", "b", "c"], 3, "test"));

        Assert.Equal(Outcomes.Failed, report.Status);
        Assert.True(report.Targets.Single(t => t.Target == "a").Succeeded);
        Assert.True(report.Targets.Single(t => t.Target == "c").Succeeded);
        var failed = report.Targets.Single(t => t.Target == "b");
        Assert.Equal(Outcomes.Failed, failed.Outcome);
        Assert.Contains("authentication failed", failed.Error, StringComparison.Ordinal);
        // Authentication is permanent: tried once, not retried.
        Assert.Single(activities.Calls, c => c.StartsWith(TaskNames.Activities.BackupDatabase, StringComparison.Ordinal) && c.Contains("\"b\"", StringComparison.Ordinal));
        Assert.Contains(activities.Calls, c => c.StartsWith(TaskNames.Activities.WriteRunReport, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TargetBackup_TransientFailure_IsRetriedWithTheSameBackupId()
    {
        var activities = new ScriptedActivities
        {
            FailWhen = (name, _, attempt) => name == TaskNames.Activities.BackupDatabase && attempt == 1
                ? new EngineException(FailureKind.Unavailable, "connection refused at 127.0.0.1:5432")
                : null,
        };

        var report = await RunAsync(activities, new BackupAllInput(["orders"], 1, "test"));

        var backups = activities.Calls.Where(c => c.StartsWith(TaskNames.Activities.BackupDatabase, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, backups.Count);
        Assert.Equal(backups[0], backups[1]); // same input, same backup id: the retry finds its own work
        Assert.True(report.Targets.Single().Succeeded);
    }

    [Fact]
    public async Task TargetBackup_FailedVerify_SkipsRestoreTestAndPrune()
    {
        var activities = new ScriptedActivities { VerifyOk = _ => false };

        var report = await RunAsync(activities, new BackupAllInput(["orders"], 1, "test"));

        var target = report.Targets.Single();
        Assert.Equal(Outcomes.Failed, target.Outcome);
        Assert.Contains("verification failed", target.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(activities.Calls, c => c.StartsWith(TaskNames.Activities.RestoreTest, StringComparison.Ordinal));
        Assert.DoesNotContain(activities.Calls, c => c.StartsWith(TaskNames.Activities.PruneBackups, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_SameInstanceIdTwice_JoinsTheRunningInstance()
    {
        var activities = new ScriptedActivities { BackupDuration = TimeSpan.FromMilliseconds(200) };
        var host = new InProcessOrchestrationHost(activities.InvokeAsync, TimeProvider.System, NullLoggerFactory.Instance, _ => TimeSpan.Zero);
        var input = new BackupAllInput(["orders"], 1, "test");

        var first = host.StartAsync(TaskNames.Orchestrators.BackupAll, "same", input, CancellationToken.None);
        var second = host.StartAsync(TaskNames.Orchestrators.BackupAll, "same", input, CancellationToken.None);
        await Task.WhenAll(first, second);

        Assert.Same(first, second);
        Assert.Single(activities.Calls, c => c.StartsWith(TaskNames.Activities.BackupDatabase, StringComparison.Ordinal));
    }
}
