using BackupFunctions.Activities.Health;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Orchestrations;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>
/// Each orchestrator runs twice, as Durable would replay it: once answering its calls, once against
/// the recorded history. Any divergence (a different call, input or order) fails the test.
/// </summary>
public class DeterminismTests
{
    private static string Json(object value) => JsonSerializer.Serialize(value, ActivityRegistry.Json);

    /// <summary>Scripted answers for every activity and sub-orchestration.</summary>
    internal static string Respond(string name, string input, Func<string, bool>? verifyOk = null)
    {
        string Id() => JsonSerializer.Deserialize<BackupDatabaseInput>(input, ActivityRegistry.Json)!.BackupId!;
        string Unquote() => JsonSerializer.Deserialize<string>(input, ActivityRegistry.Json)!;
        return name switch
        {
            TaskNames.Activities.BackupDatabase => Json(new BackupDatabaseOutput(Id(), Id().Split('-')[0], 100, 40, 1.5, "brotli", "UnsupportedByStore", "m.json")),
            TaskNames.Activities.VerifyBackup => Json(new VerifyBackupOutput(Unquote(),
                verifyOk?.Invoke(Unquote()) == false ? VerificationStatus.ChecksumMismatch : VerificationStatus.Ok, "detail", "c.json")),
            TaskNames.Activities.RestoreTest => Json(new RestoreTestOutput(Unquote(), true, "2 counts match", 2.0, "rt.json")),
            TaskNames.Activities.PruneBackups => Json(new PruneBackupsOutput("t", [], [], "policy")),
            TaskNames.Activities.WriteRunReport => Json("runs/2026/11/22/run.json"),
            TaskNames.Activities.Notify => Json(new NotifyOutput([])),
            TaskNames.Activities.RestoreDatabase => Json(new RestoreDatabaseOutput("orders-20261122T020000Z-abcd", "copy", true, "ok", 1)),
            _ when name.StartsWith(TaskNames.Orchestrators.TargetBackup + "@", StringComparison.Ordinal) =>
                Json(new TargetReport { Target = JsonSerializer.Deserialize<TargetBackupInput>(input, ActivityRegistry.Json)!.Target, Outcome = Outcomes.Succeeded }),
            _ => throw new InvalidOperationException($"unexpected call {name}"),
        };
    }

    private static async Task<(string First, string Second, IReadOnlyList<ReplayContext.HistoryEvent> History)> RunTwiceAsync(
        string instanceId, Func<IOrchestrationContext, Task<object>> orchestrator, Func<string, string, string>? responder = null)
    {
        var recording = ReplayContext.Recording(instanceId, responder ?? ((n, i) => Respond(n, i)));
        string first = Json(await orchestrator(recording));
        var replay = recording.Replay();
        string second = Json(await orchestrator(replay));
        return (first, second, recording.History);
    }

    [Fact]
    public async Task BackupAll_ReplaysIdentically()
    {
        var input = new BackupAllInput(["orders", "cache", "graph"], 2, "timer");

        var (first, second, history) = await RunTwiceAsync("run-1", async c => await BackupAllOrchestrator.RunAsync(c, input));

        Assert.Equal(first, second);
        Assert.Equal(5, history.Count); // three sub-orchestrations, the report, then the notifications
        Assert.Equal(TaskNames.Activities.WriteRunReport, history[^2].Name);
        Assert.Equal(TaskNames.Activities.Notify, history[^1].Name);
    }

    [Fact]
    public async Task BackupAll_ALostNotification_DoesNotFailTheRun()
    {
        var input = new BackupAllInput(["orders"], 1, "timer");

        var (first, second, history) = await RunTwiceAsync("run-3", async c => await BackupAllOrchestrator.RunAsync(c, input),
            (n, i) => n == TaskNames.Activities.Notify ? throw new InvalidOperationException("storage unreachable") : Respond(n, i));

        Assert.Equal(first, second);
        Assert.Contains("\"status\": \"Completed\"", first, StringComparison.Ordinal);
        Assert.Equal(TaskNames.Activities.Notify, history[^1].Name);
    }

    [Fact]
    public async Task TargetBackup_ReplaysIdentically_AndPassesADeterministicBackupId()
    {
        var (first, second, history) = await RunTwiceAsync("run-1-orders",
            async c => await TargetBackupOrchestrator.RunAsync(c, new TargetBackupInput("orders", "run-1")));

        Assert.Equal(first, second);
        Assert.Equal([TaskNames.Activities.BackupDatabase, TaskNames.Activities.VerifyBackup, TaskNames.Activities.RestoreTest, TaskNames.Activities.PruneBackups],
            history.Select(h => h.Name));
        Assert.Matches("orders-20261122T020000Z-[0-9a-f]{4}", history[0].Input);
    }

    [Fact]
    public async Task TargetBackup_FailedVerify_ReplaysIdentically()
    {
        var (first, second, _) = await RunTwiceAsync("run-2-orders",
            async c => await TargetBackupOrchestrator.RunAsync(c, new TargetBackupInput("orders", "run-2")),
            (n, i) => Respond(n, i, verifyOk: _ => false));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Restore_ReplaysIdentically()
    {
        var request = new RestoreRequest(null, "orders", true, "copy", false, "ops@example.com", "msg-1");

        var (first, second, _) = await RunTwiceAsync("restore-msg-1", async c => await RestoreOrchestrator.RunAsync(c, request));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Replay_CatchesAnOrchestratorThatIsNotDeterministic()
    {
        // Uses the wall clock and a random GUID in an activity input, which Durable forbids.
        static async Task<object> Bad(IOrchestrationContext c) =>
            await c.CallActivityAsync<string>(TaskNames.Activities.WriteRunReport, $"{DateTime.UtcNow:O}-{Guid.NewGuid()}");

        var recording = ReplayContext.Recording("bad", (_, _) => Json("x"));
        await Bad(recording);

        await Assert.ThrowsAsync<NonDeterminismException>(() => Bad(recording.Replay()));
    }
}
