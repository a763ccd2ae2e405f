using BackupFunctions.Orchestrations.Intake;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace BackupFunctions.Azure;

/// <summary>The shared intake's client calls over Durable Functions' <see cref="DurableTaskClient"/>.</summary>
internal sealed class DurableClientAdapter(DurableTaskClient client) : IOrchestrationClient
{
    private static readonly OrchestrationRuntimeStatus[] Active =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    private static readonly OrchestrationRuntimeStatus[] Finished =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    public async Task StartAsync(string name, string instanceId, object input, StartRule rule, CancellationToken cancellationToken)
    {
        // The backend refuses a start over an active instance; the check before it also covers the
        // at-most-once rule and says so with our exception, never a silent drop.
        if (await client.GetInstanceAsync(instanceId, cancellationToken) is { } existing &&
            (rule == StartRule.OnlyOnce || Active.Contains(existing.RuntimeStatus)))
        {
            throw InstanceExistsException.For(instanceId);
        }

        var statuses = rule == StartRule.OnlyOnce ? [.. Active, .. Finished] : Active;
        await client.ScheduleNewOrchestrationInstanceAsync(name, input,
            new StartOrchestrationOptions(instanceId) { DedupeStatuses = statuses.Select(s => s.ToString()).ToList() }, cancellationToken);
    }

    public async Task<InstanceStatus?> GetAsync(string instanceId, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken) is { } m ? ToStatus(m) : null;

    public async Task<IReadOnlyList<InstanceStatus>> ListActiveAsync(string instanceIdPrefix, CancellationToken cancellationToken)
    {
        var list = new List<InstanceStatus>();
        var query = new OrchestrationQuery { InstanceIdPrefix = instanceIdPrefix, Statuses = Active, FetchInputsAndOutputs = true };
        await foreach (var m in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            list.Add(ToStatus(m));
        }

        return list;
    }

    public async Task<int> PurgeFinishedAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken) =>
        (await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(null, createdBefore, Finished), cancellationToken)).PurgedInstanceCount;

    private static InstanceStatus ToStatus(OrchestrationMetadata m) => new(
        m.InstanceId, m.Name, m.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Pending => InstanceState.Pending,
            OrchestrationRuntimeStatus.Running => InstanceState.Running,
            OrchestrationRuntimeStatus.Completed => InstanceState.Completed,
            OrchestrationRuntimeStatus.Failed => InstanceState.Failed,
            OrchestrationRuntimeStatus.Terminated => InstanceState.Terminated,
            OrchestrationRuntimeStatus.Suspended => InstanceState.Suspended,
            _ => InstanceState.Unknown,
        },
        m.CreatedAt, m.LastUpdatedAt, m.SerializedInput, m.SerializedOutput, m.SerializedCustomStatus, m.FailureDetails?.ErrorMessage);
}
