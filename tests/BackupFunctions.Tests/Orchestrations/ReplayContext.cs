using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BackupFunctions.Orchestrations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>
/// A test context that behaves like Durable replay. In record mode every scheduled call (activity or
/// sub-orchestration: name and JSON input) is answered by a scripted responder and written to a
/// history; in replay mode the same orchestrator runs again, each call must match the history in
/// order, and gets the recorded answer. Time and GUIDs come from the history position, as in Durable.
/// </summary>
internal sealed class ReplayContext : IOrchestrationContext
{
    private readonly List<HistoryEvent> _history;
    private readonly bool _replaying;
    private readonly Func<string, string, string>? _responder;
    private readonly DateTime _start = new(2026, 11, 22, 2, 0, 0, DateTimeKind.Utc);
    private int _position;
    private int _guids;

    private ReplayContext(string instanceId, List<HistoryEvent> history, bool replaying, Func<string, string, string>? responder)
    {
        InstanceId = instanceId;
        _history = history;
        _replaying = replaying;
        _responder = responder;
    }

    /// <summary>One scheduled call and its answer (JSON output, or an exception message).</summary>
    public sealed record HistoryEvent(string Name, string Input, string? Output, string? Error);

    public IReadOnlyList<HistoryEvent> History => _history;

    public static ReplayContext Recording(string instanceId, Func<string, string, string> responder) => new(instanceId, [], false, responder);

    public ReplayContext Replay() => new(InstanceId, _history, true, null);

    public string InstanceId { get; }

    public DateTime CurrentUtcDateTime => _start.AddSeconds(_position);

    public bool IsReplaying => _replaying && _position < _history.Count;

    public Task<TResult> CallActivityAsync<TResult>(string name, object? input, TaskRetry? retry = null) => Schedule<TResult>(name, input);

    public Task<TResult> CallSubOrchestratorAsync<TResult>(string name, string instanceId, object? input) =>
        Schedule<TResult>($"{name}@{instanceId}", input);

    public Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => Schedule<object>($"timer@{fireAt:O}", null);

    public Guid NewGuid() =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{InstanceId}/{_position}/{_guids++}"))[..16]);

    public void SetCustomStatus(object? status) { }

    public ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;

    private Task<TResult> Schedule<TResult>(string name, object? input)
    {
        string json = JsonSerializer.Serialize(input, ActivityRegistry.Json);
        HistoryEvent e;
        if (_replaying)
        {
            if (_position >= _history.Count)
            {
                throw new NonDeterminismException($"replay scheduled {name} beyond the recorded history of {_history.Count} calls");
            }

            e = _history[_position];
            if (e.Name != name || e.Input != json)
            {
                throw new NonDeterminismException($"call {_position} differs on replay: recorded {e.Name}({e.Input}), now {name}({json})");
            }
        }
        else
        {
            try
            {
                e = new HistoryEvent(name, json, _responder!(name, json), null);
            }
            catch (Exception ex)
            {
                e = new HistoryEvent(name, json, null, ex.Message);
            }

            _history.Add(e);
        }

        _position++;
        return e.Error is not null
            ? Task.FromException<TResult>(new InvalidOperationException(e.Error))
            : Task.FromResult(JsonSerializer.Deserialize<TResult>(e.Output!, ActivityRegistry.Json)!);
    }
}

/// <summary>An orchestrator did something different on replay.</summary>
internal sealed class NonDeterminismException(string message) : Exception(message);
