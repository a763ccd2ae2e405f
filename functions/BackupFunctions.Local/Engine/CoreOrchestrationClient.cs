using BackupFunctions.Orchestrations.Intake;
using DurableTask.AzureStorage;
using DurableTask.AzureStorage.Tracking;
using DurableTask.Core;
using DurableTask.Core.Exceptions;

namespace BackupFunctions.Local.Engine;

/// <summary>The intake's client calls over DurableTask.Core's TaskHubClient and the Azure Storage backend.</summary>
internal sealed class CoreOrchestrationClient(TaskHubClient client, AzureStorageOrchestrationService service) : IOrchestrationClient
{
    private static readonly OrchestrationStatus[] Active = [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.Suspended];

    private static readonly OrchestrationStatus[] Any =
        [.. Active, OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Terminated, OrchestrationStatus.Canceled, OrchestrationStatus.ContinuedAsNew];

    private static readonly OrchestrationStatus[] Finished =
        [OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Terminated, OrchestrationStatus.Canceled];

    public async Task StartAsync(string name, string instanceId, object input, StartRule rule, CancellationToken cancellationToken)
    {
        try
        {
            // With ThrowExceptionOnInvalidDedupeStatus (set by DurableEngine) a refused start throws
            // instead of being dropped while returning a made-up execution id.
            await client.CreateOrchestrationInstanceAsync(name, "", instanceId, input, null, rule == StartRule.OnlyOnce ? Any : Active);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            throw InstanceExistsException.For(instanceId, e);
        }
    }

    public async Task<InstanceStatus?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        var states = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: true);
        return states.Count == 0 || states[0] is null ? null : ToStatus(states[0]);
    }

    public async Task<IReadOnlyList<InstanceStatus>> ListActiveAsync(string instanceIdPrefix, CancellationToken cancellationToken)
    {
        var condition = new OrchestrationInstanceStatusQueryCondition
        {
            InstanceIdPrefix = instanceIdPrefix,
            RuntimeStatus = Active,
            FetchInput = true,
            FetchOutput = false,
        };
        var list = new List<InstanceStatus>();
        string? token = null;
        do
        {
            var page = await service.GetOrchestrationStateAsync(condition, 100, token, cancellationToken);
            list.AddRange(page.OrchestrationState.Select(ToStatus));
            token = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(token));

        return list;
    }

    public async Task<int> PurgeFinishedAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        var result = await service.PurgeInstanceHistoryAsync(DateTime.MinValue, createdBefore.UtcDateTime, Finished);
        return result.InstancesDeleted;
    }

    private static InstanceStatus ToStatus(OrchestrationState s) => new(
        s.OrchestrationInstance.InstanceId, s.Name, s.OrchestrationStatus switch
        {
            OrchestrationStatus.Pending => InstanceState.Pending,
            OrchestrationStatus.Running or OrchestrationStatus.ContinuedAsNew => InstanceState.Running,
            OrchestrationStatus.Completed => InstanceState.Completed,
            OrchestrationStatus.Failed => InstanceState.Failed,
            OrchestrationStatus.Terminated or OrchestrationStatus.Canceled => InstanceState.Terminated,
            OrchestrationStatus.Suspended => InstanceState.Suspended,
            _ => InstanceState.Unknown,
        },
        new DateTimeOffset(DateTime.SpecifyKind(s.CreatedTime, DateTimeKind.Utc)),
        new DateTimeOffset(DateTime.SpecifyKind(s.LastUpdatedTime, DateTimeKind.Utc)),
        s.Input, s.Output, s.Status,
        // Core keeps some failures (a non-deterministic replay) as the output, without FailureDetails.
        s.FailureDetails?.ErrorMessage ?? (s.OrchestrationStatus == OrchestrationStatus.Failed ? s.Output : null));
}
