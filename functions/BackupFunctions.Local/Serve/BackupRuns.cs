using System.Collections.Concurrent;
using System.Globalization;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Local.Orchestration;
using BackupFunctions.Orchestrations;

namespace BackupFunctions.Local.Serve;

/// <summary>What starting a run did: the instance to follow, and which targets joined a run already going.</summary>
public sealed record RunStart(string InstanceId, bool Started, IReadOnlyDictionary<string, string> AlreadyRunning);

/// <summary>
/// Starts BackupAll runs for the timer and HTTP triggers. A target already being backed up is never
/// started twice: a request whose targets are all running gets the running instance back.
/// </summary>
public sealed class BackupRuns(BackupRuntime runtime, InProcessOrchestrationHost host)
{
    private readonly ConcurrentDictionary<string, string> _runningTargets = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public InProcessOrchestrationHost Host => host;

    /// <summary>Starts a run of <paramref name="targets"/> (all when empty); targets already running join their run.</summary>
    public RunStart Start(IReadOnlyList<string> targets, string trigger)
    {
        var selected = targets.Count == 0 ? runtime.TargetNames : targets.Distinct(StringComparer.Ordinal).ToList();
        foreach (string t in selected)
        {
            runtime.Resolve(t); // unknown target: configuration error, nothing started
        }

        lock (_gate)
        {
            var already = selected.Where(_runningTargets.ContainsKey).ToDictionary(t => t, t => _runningTargets[t], StringComparer.Ordinal);
            var fresh = selected.Where(t => !already.ContainsKey(t)).ToList();
            if (fresh.Count == 0)
            {
                return new RunStart(already.Values.First(), false, already);
            }

            var now = runtime.Time.GetUtcNow();
            string runId = string.Create(CultureInfo.InvariantCulture, $"run-{now:yyyyMMdd'T'HHmmss'Z'}-{Random.Shared.Next(0x10000):x4}");
            foreach (string t in fresh)
            {
                _runningTargets[t] = runId;
            }

            var run = host.StartAsync(TaskNames.Orchestrators.BackupAll, runId,
                new BackupAllInput(fresh, runtime.Options.MaxParallelTargets, trigger), CancellationToken.None);
            _ = run.ContinueWith(_ =>
            {
                foreach (string t in fresh)
                {
                    _runningTargets.TryRemove(new KeyValuePair<string, string>(t, runId));
                }
            }, TaskScheduler.Default);
            return new RunStart(runId, true, already);
        }
    }
}
