namespace BackupFunctions.Orchestrations.Intake;

/// <summary>Where an orchestration instance stands, as both engines report it.</summary>
public enum InstanceState
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
    Suspended,
    Unknown,
}

/// <summary>One orchestration instance; the serialized fields are the engine's JSON.</summary>
public sealed record InstanceStatus(string InstanceId, string Name, InstanceState State, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt,
    string? SerializedInput, string? SerializedOutput, string? SerializedCustomStatus, string? FailureMessage)
{
    /// <summary>Not finished: a worker has it or will pick it up (also after a crash of the one that had it).</summary>
    public bool IsActive => State is InstanceState.Pending or InstanceState.Running or InstanceState.Suspended;
}

/// <summary>When a start with a fixed instance id is refused.</summary>
public enum StartRule
{
    /// <summary>Refused while an instance with the id is pending or running; a finished one is replaced.</summary>
    UnlessActive,

    /// <summary>Refused when any instance with the id exists, finished or not: at most once ever.</summary>
    OnlyOnce,
}

/// <summary>
/// The few client calls the shared intake needs, over either engine: Durable Functions'
/// DurableTaskClient in the Azure app, DurableTask.Core's TaskHubClient in the local host. A refused
/// start throws <see cref="InstanceExistsException"/>: it is never silently dropped.
/// </summary>
public interface IOrchestrationClient
{
    /// <summary>Schedules orchestrator <paramref name="name"/> as <paramref name="instanceId"/>; throws <see cref="InstanceExistsException"/> when <paramref name="rule"/> refuses it.</summary>
    Task StartAsync(string name, string instanceId, object input, StartRule rule, CancellationToken cancellationToken);

    /// <summary>The instance with its input, output and custom status; null when there is none.</summary>
    Task<InstanceStatus?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Pending and running instances whose id starts with <paramref name="instanceIdPrefix"/>, with their inputs.</summary>
    Task<IReadOnlyList<InstanceStatus>> ListActiveAsync(string instanceIdPrefix, CancellationToken cancellationToken);

    /// <summary>Deletes the history of instances that finished and were created before <paramref name="createdBefore"/>; returns how many.</summary>
    Task<int> PurgeFinishedAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken);
}

/// <summary>A start refused because an instance with the id exists in a state the rule forbids.</summary>
public sealed class InstanceExistsException : Exception
{
    public InstanceExistsException() { }

    public InstanceExistsException(string message) : base(message) { }

    public InstanceExistsException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The instance id that was refused.</summary>
    public string? InstanceId { get; private init; }

    public static InstanceExistsException For(string instanceId, Exception? inner = null) =>
        new($"orchestration instance '{instanceId}' already exists", inner!) { InstanceId = instanceId };
}
