using System.Collections.Concurrent;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Orchestrations;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Orchestration;

/// <summary>State of one orchestration instance, as the status API reports it.</summary>
public sealed record InstanceState(string InstanceId, string Name, string Status, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt,
    object? CustomStatus, string? OutputJson, string? Error);

/// <summary>
/// Runs orchestrators in this process (the local host): activities are called directly through the
/// <see cref="ActivityRegistry"/> with the same retry policies, sub-orchestrations run as tasks,
/// and inputs/outputs cross as JSON as they would through Durable storage. Not durable across a
/// crash: a killed run leaves no manifest, so nothing half-written is ever listed.
/// </summary>
public sealed class InProcessOrchestrationHost
{
    private readonly ConcurrentDictionary<string, InstanceState> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<string>> _running = new(StringComparer.Ordinal);

    /// <param name="activities">Runs an activity by name on a JSON input (normally <see cref="ActivityRegistry.InvokeAsync"/>).</param>
    /// <param name="retryDelay">Maps a policy's delay to the real wait (tests pass a zero delay).</param>
    /// <param name="retries">False to try every activity once (interactive runs that should fail fast).</param>
    public InProcessOrchestrationHost(Func<string, string, CancellationToken, Task<string>> activities, TimeProvider time, ILoggerFactory loggers,
        Func<TimeSpan, TimeSpan>? retryDelay = null, bool retries = true)
    {
        Retries = retries;
        InvokeActivity = activities;
        Time = time;
        Loggers = loggers;
        RetryDelay = retryDelay ?? (d => d);
    }

    internal TimeProvider Time { get; }
    internal ILoggerFactory Loggers { get; }
    internal Func<TimeSpan, TimeSpan> RetryDelay { get; }
    internal bool Retries { get; }

    internal Func<string, string, CancellationToken, Task<string>> InvokeActivity { get; }

    /// <summary>
    /// Starts an orchestration unless one with this instance id is already running or done, and
    /// returns its completion (the JSON output). Starting the same id twice joins the first.
    /// </summary>
    public Task<string> StartAsync(string name, string instanceId, object? input, CancellationToken cancellationToken)
    {
        EvictOld();
        string json = JsonSerializer.Serialize(input, ActivityRegistry.Json);
        return _running.GetOrAdd(instanceId, id => Task.Run(() => RunAsync(name, id, json, cancellationToken), CancellationToken.None));
    }

    /// <summary>The state of an instance, or null when unknown.</summary>
    public InstanceState? Get(string instanceId) => _instances.GetValueOrDefault(instanceId);

    /// <summary>Every instance whose status is Running.</summary>
    public IEnumerable<InstanceState> Running => _instances.Values.Where(i => i.Status == "Running");

    /// <summary>Runs an orchestrator to completion on a new context (also used for sub-orchestrations).</summary>
    internal async Task<string> RunAsync(string name, string instanceId, string input, CancellationToken cancellationToken)
    {
        var created = Time.GetUtcNow();
        _instances[instanceId] = new InstanceState(instanceId, name, "Running", created, null, null, null, null);
        try
        {
            var context = new InProcessOrchestrationContext(this, instanceId, cancellationToken);
            string output = await OrchestratorRegistry.RunAsync(name, context, input);
            _instances[instanceId] = _instances[instanceId] with { Status = "Completed", CompletedAt = Time.GetUtcNow(), OutputJson = output };
            return output;
        }
        catch (Exception e)
        {
            _instances[instanceId] = _instances[instanceId] with { Status = "Failed", CompletedAt = Time.GetUtcNow(), Error = e.Message };
            throw;
        }
    }

    internal void SetCustomStatus(string instanceId, object? status) =>
        _instances.AddOrUpdate(instanceId,
            id => new InstanceState(id, "?", "Running", Time.GetUtcNow(), null, status, null, null),
            (_, state) => state with { CustomStatus = status });

    /// <summary>How long a finished instance stays queryable in memory (its run report stays in the vault).</summary>
    public static TimeSpan Retention { get; } = TimeSpan.FromDays(1);

    /// <summary>Drops instances finished more than <see cref="Retention"/> ago, so a long-running serve does not grow.</summary>
    private void EvictOld()
    {
        var cutoff = Time.GetUtcNow() - Retention;
        foreach (var (id, state) in _instances)
        {
            if (state.CompletedAt is { } done && done < cutoff)
            {
                _instances.TryRemove(id, out _);
                _running.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Forgets finished instances so a later request with the same id starts anew.</summary>
    public void ForgetFinished(string instanceId)
    {
        if (_running.TryGetValue(instanceId, out var task) && task.IsCompleted)
        {
            _running.TryRemove(instanceId, out _);
        }
    }
}
