using System.Globalization;
using System.Text.Json;
using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>What starting a run did: the instance to follow, whether it is new, and which targets joined a run already going.</summary>
public sealed record RunStart(string InstanceId, bool Started, IReadOnlyDictionary<string, string> AlreadyRunning);

/// <summary>
/// The one run intake of both hosts (timer, HTTP, CLI). Runs are BackupAll instances named
/// run-{yyyyMMddTHHmmssZ}-{4 hex}. A target already in an active run (pending or running, in any
/// process on the task hub, also one interrupted by a crash) is never started twice: the request
/// joins that run. A timer slot's run has a fixed id started at most once, so two hosts firing the
/// same slot, or one firing it twice, back up once.
/// </summary>
public sealed class RunStarter(BackupRuntime runtime, IOrchestrationClient client, bool retry = true) : IDisposable
{
    public const string RunPrefix = "run-";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public IOrchestrationClient Client => client;

    /// <summary>Starts a run of <paramref name="targets"/> (all when empty); targets already running join their run.</summary>
    public Task<RunStart> StartAsync(IReadOnlyList<string> targets, string trigger, CancellationToken cancellationToken) =>
        StartAsync(targets, trigger, NewRunId(runtime.Time.GetUtcNow()), cancellationToken);

    /// <summary>Starts the run of one timer slot (at most once per slot, across hosts and restarts).</summary>
    public Task<RunStart> StartScheduledAsync(DateTimeOffset slot, IReadOnlyList<string> targets, CancellationToken cancellationToken) =>
        StartAsync(targets, "timer", string.Create(CultureInfo.InvariantCulture, $"{RunPrefix}{slot.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-timer"), cancellationToken);

    /// <summary>The run id of a new, unscheduled run.</summary>
    public static string NewRunId(DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"{RunPrefix}{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Random.Shared.Next(0x10000):x4}");

    private async Task<RunStart> StartAsync(IReadOnlyList<string> targets, string trigger, string runId, CancellationToken cancellationToken)
    {
        var selected = targets.Count == 0 ? runtime.TargetNames : targets.Distinct(StringComparer.Ordinal).ToList();
        foreach (string t in selected)
        {
            runtime.Resolve(t); // unknown target: configuration error, nothing started
        }

        // One decision at a time in this process; across processes the fixed ids and the engine's
        // dedupe keep a slot to one run.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var running = await RunningTargetsAsync(cancellationToken);
            var already = selected.Where(running.ContainsKey).ToDictionary(t => t, t => running[t], StringComparer.Ordinal);
            var fresh = selected.Where(t => !already.ContainsKey(t)).ToList();
            if (fresh.Count == 0)
            {
                return new RunStart(already.Values.First(), false, already);
            }

            try
            {
                await client.StartAsync(TaskNames.Orchestrators.BackupAll, runId,
                    new BackupAllInput(fresh, runtime.Options.MaxParallelTargets, trigger, retry), StartRule.OnlyOnce, cancellationToken);
            }
            catch (InstanceExistsException)
            {
                // This timer slot was started already (by another host, or before a restart).
                return new RunStart(runId, false, fresh.ToDictionary(t => t, _ => runId, StringComparer.Ordinal));
            }

            return new RunStart(runId, true, already);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Each target in an active run, with that run's id.</summary>
    public async Task<IReadOnlyDictionary<string, string>> RunningTargetsAsync(CancellationToken cancellationToken)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instance in await client.ListActiveAsync(RunPrefix, cancellationToken))
        {
            if (instance.SerializedInput is null)
            {
                continue;
            }

            if (instance.Name == TaskNames.Orchestrators.BackupAll)
            {
                foreach (string t in JsonSerializer.Deserialize<BackupAllInput>(instance.SerializedInput, TaskJson.Options)?.Targets ?? [])
                {
                    map.TryAdd(t, instance.InstanceId);
                }
            }
            else if (instance.Name == TaskNames.Orchestrators.TargetBackup &&
                     JsonSerializer.Deserialize<TargetBackupInput>(instance.SerializedInput, TaskJson.Options) is { } child)
            {
                map.TryAdd(child.Target, child.RunId);
            }
        }

        return map;
    }
}
