using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Engine;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Engine;

/// <summary>
/// The orchestrators' rules on the real engine (DurableTask.Core over Azure Storage on Azurite),
/// with stand-in activities where a test needs a failure on demand.
/// </summary>
public sealed class EngineTests : IAsyncLifetime
{
    private readonly BackupOptions _options = new()
    {
        Storage = new StorageOptions { Connection = TestServers.Storage, Container = $"it-{Guid.NewGuid():N}" },
    };

    public Task InitializeAsync()
    {
        _options.Local.TaskHub.Name = TaskHubs.NewName();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => TaskHubs.DeleteAsync(_options.Local.TaskHub.Name);

    private static TaskRegistrations Tasks(params (string Name, Func<ITaskActivity> Activity)[] activities)
    {
        var tasks = new TaskRegistrations(new Dictionary<string, Func<ITaskOrchestrator>>(), new Dictionary<string, Func<ITaskActivity>>());
        foreach (var (name, activity) in activities)
        {
            tasks = tasks.WithActivity(name, activity);
        }

        return tasks;
    }

    private async Task<InstanceStatus> RunAsync(TaskRegistrations tasks, string orchestrator, object input)
    {
        await using var engine = await DurableEngine.StartAsync(_options, tasks, NullLoggerFactory.Instance);
        string id = $"test-{Guid.NewGuid():N}";
        await engine.Client.StartAsync(orchestrator, id, input, StartRule.OnlyOnce, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await engine.WaitAsync(id, timeout.Token);
    }

    [Fact]
    public async Task TransientFailures_AreRetriedAfterDurableTimers_UpToTheLimit_PermanentOnesStopAtOnce()
    {
        var transient = new Attempts(new IOException("connection reset by peer"));
        var permanent = new Attempts(new BackupConfigurationException("Backup:Targets:orders:Connection has no password"));
        var tasks = Tasks(("Transient", () => transient.Activity()), ("Permanent", () => permanent.Activity()))
            .WithOrchestrator(nameof(CallsWithRetry), () => new CallsWithRetry());

        var done = await RunAsync(tasks, nameof(CallsWithRetry), "Transient");
        Assert.Equal(InstanceState.Completed, done.State);
        Assert.Equal(3, transient.Count); // MaxAttempts of the schedule, each after a durable timer
        Assert.Contains("connection reset by peer", done.SerializedOutput, StringComparison.Ordinal);

        done = await RunAsync(tasks, nameof(CallsWithRetry), "Permanent");
        Assert.Equal(1, permanent.Count);
        Assert.Contains("permanent:True", done.SerializedOutput, StringComparison.Ordinal);
        Assert.Contains("has no password", done.SerializedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetBackup_TurnsAPermanentActivityFailureIntoAFailedReport_WithoutRetrying()
    {
        var backup = new Attempts(new BackupConfigurationException("target 'orders': password authentication failed for user 'app' (check Connection)"));
        var tasks = Tasks((TaskNames.Activities.BackupDatabase, () => backup.Activity()))
            .WithOrchestrator(TaskNames.Orchestrators.TargetBackup, () => new TargetBackupOrchestrator());

        var done = await RunAsync(tasks, TaskNames.Orchestrators.TargetBackup, new TargetBackupInput("orders", "run-test"));
        var report = System.Text.Json.JsonSerializer.Deserialize<BackupFunctions.Activities.Runs.TargetReport>(done.SerializedOutput!, TaskJson.Options)!;
        Assert.False(report.Succeeded);
        Assert.True(report.NeedsConfigurationFix);
        Assert.Equal("target 'orders': password authentication failed for user 'app' (check Connection)", report.Error);
        Assert.Equal(1, backup.Count);
    }

    [Fact]
    public async Task ANonDeterministicOrchestrator_FailsOnReplay_WhileTheSameShapeWrittenDeterministicallyCompletes()
    {
        var echo = new Attempts(null);
        var tasks = Tasks(("Echo", () => echo.Activity()))
            .WithOrchestrator(nameof(NonDeterministic), () => new NonDeterministic())
            .WithOrchestrator(nameof(Deterministic), () => new Deterministic());

        var good = await RunAsync(tasks, nameof(Deterministic), "x");
        Assert.Equal(InstanceState.Completed, good.State);

        var bad = await RunAsync(tasks, nameof(NonDeterministic), "x");
        Assert.Equal(InstanceState.Failed, bad.State);
        Assert.Contains("NonDeterministic", bad.FailureMessage ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task FinishedInstances_ArePurgedByAge_ThroughTheEngine_ActiveOnesAreKept()
    {
        var echo = new Attempts(null);
        var tasks = Tasks(("Echo", () => echo.Activity()))
            .WithOrchestrator(nameof(Deterministic), () => new Deterministic())
            .WithOrchestrator(nameof(WaitsAnHour), () => new WaitsAnHour());
        await using var engine = await DurableEngine.StartAsync(_options, tasks, NullLoggerFactory.Instance);
        await engine.Client.StartAsync(nameof(Deterministic), "old-one", "x", StartRule.OnlyOnce, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(InstanceState.Completed, (await engine.WaitAsync("old-one", timeout.Token)).State);
        // Waits on a durable timer an hour long: active for the whole test.
        await engine.Client.StartAsync(nameof(WaitsAnHour), "still-running", "y", StartRule.OnlyOnce, CancellationToken.None);

        Assert.Equal(0, await engine.Client.PurgeFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None)); // too young
        Assert.Equal(1, await engine.Client.PurgeFinishedAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None));
        Assert.Null(await engine.Client.GetAsync("old-one", CancellationToken.None));
        Assert.True((await engine.Client.GetAsync("still-running", CancellationToken.None))!.IsActive);
    }

    /// <summary>
    /// A process that dies holding orchestrator messages must not hold them for Core's default 5 minutes: a serve killed
    /// between an episode's activity messages and its history checkpoint left its run stalled that long (ServeKillTests
    /// caught it, at a random kill point). Both kinds of message come back after WorkItemTimeout.
    /// </summary>
    [Fact]
    public async Task MessagesOfADeadProcess_ComeBackAfterWorkItemTimeout_OrchestratorAndActivityAlike()
    {
        _options.Local.TaskHub.WorkItemTimeout = TimeSpan.FromSeconds(20);
        await using var engine = await DurableEngine.StartAsync(_options, Tasks(), NullLoggerFactory.Instance, worker: false);

        Assert.Equal(TimeSpan.FromSeconds(20), engine.Settings.WorkItemQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), engine.Settings.ControlQueueVisibilityTimeout);
    }

    /// <summary>Counts executions; throws the given exception, or echoes its input.</summary>
    private sealed class Attempts(Exception? failure)
    {
        private int _count;

        public int Count => _count;

        public ITaskActivity Activity() => new Probe(this);

        /// <summary>Takes any input (a string, or an activity's record), so it can stand in for any activity.</summary>
        private sealed class Probe(Attempts owner) : BackupActivity<System.Text.Json.JsonElement, string>(NullLoggerFactory.Instance, null)
        {
            protected override Task<string> ExecuteAsync(System.Text.Json.JsonElement input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref owner._count);
                return owner.Failure is { } e ? throw e : Task.FromResult(input.ToString());
            }
        }

        private Exception? Failure => failure;
    }

    /// <summary>Calls the activity named by its input under a quick schedule; reports what happened.</summary>
    private sealed class CallsWithRetry : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            try
            {
                return await context.CallActivityAsync<string>(input, input,
                    RetryPolicies.Options(new RetrySchedule(3, TimeSpan.FromMilliseconds(200), 2.0, TimeSpan.FromSeconds(1))));
            }
            catch (TaskFailedException e)
            {
                return $"permanent:{RetryPolicies.IsPermanent(e.FailureDetails)} {e.FailureDetails.ErrorMessage}";
            }
        }
    }

    /// <summary>Decides with the wall clock's parity on its first pass only: the classic bug, made certain.</summary>
    private sealed class NonDeterministic : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            // Replay runs this code again from the start: the first pass schedules the activity, the
            // replay does not, so the history no longer matches the code.
            if (!context.IsReplaying)
            {
                await context.CallActivityAsync<string>("Echo", input);
            }

            await context.CreateTimer(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            return input;
        }
    }

    private sealed class WaitsAnHour : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            await context.CreateTimer(TimeSpan.FromHours(1), CancellationToken.None);
            return input;
        }
    }

    private sealed class Deterministic : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            await context.CallActivityAsync<string>("Echo", input);
            await context.CreateTimer(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            return input;
        }
    }
}
