using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>GET /api/runs/{id} on both hosts: Running, Completed or Failed, with the run report when there is one.</summary>
public sealed record RunStatus(string Id, RunState Status, DateTimeOffset? CreatedAt, DateTimeOffset? CompletedAt, JsonElement? CustomStatus, RunReport? Report, string? Error)
{
    /// <summary>
    /// The run as the engine knows it; once purged from the task hub (or never in it), the report it
    /// wrote to the vault. Null when there is neither.
    /// </summary>
    public static async Task<RunStatus?> FindAsync(BackupRuntime runtime, IOrchestrationClient client, string id, CancellationToken cancellationToken)
    {
        // Only BackupAll instances are runs (restore-{id} and run-…-{target} instances are not).
        if (await client.GetAsync(id, cancellationToken) is { Name: TaskNames.Orchestrators.BackupAll } instance)
        {
            var report = instance.SerializedOutput is { } output ? JsonSerializer.Deserialize<RunReport>(output, TaskJson.Options) : null;
            JsonElement? custom = instance.SerializedCustomStatus is { Length: > 0 } c ? JsonDocument.Parse(c).RootElement.Clone() : null;
            return instance.IsActive
                ? new RunStatus(id, RunState.Running, instance.CreatedAt, null, custom, null, null)
                : new RunStatus(id, report?.Status ?? RunState.Failed, instance.CreatedAt, instance.LastUpdatedAt, custom, report,
                    instance.FailureMessage is { } failure ? Failures.UserMessage(failure) : null);
        }

        if (id.StartsWith(RunStarter.RunPrefix, StringComparison.Ordinal) &&
            await runtime.Vault.OpenReadAsync(BlobLayout.RunReport(id, DateTimeOffset.MinValue), cancellationToken) is { } stream)
        {
            await using (stream)
            {
                var report = await JsonSerializer.DeserializeAsync<RunReport>(stream, TaskJson.Options, cancellationToken);
                return new RunStatus(id, report!.Status, report.StartedAt, report.CompletedAt, null, report, null);
            }
        }

        return null;
    }
}
