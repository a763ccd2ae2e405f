using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// Writes a run report as runs/{yyyy}/{MM}/{dd}/{runId}.json, create-only. Runs at least once: a
/// retry that finds its own report already written succeeds.
/// </summary>
public sealed class WriteRunReportActivity(BackupRuntime runtime)
{
    /// <summary>Writes the report and returns its blob name.</summary>
    public async Task<string> RunAsync(RunReport report, CancellationToken cancellationToken)
    {
        string runId = report.RunId;
        string blob = BlobLayout.RunReport(runId, new DateTimeOffset(DateTime.SpecifyKind(report.StartedAt, DateTimeKind.Utc)));
        await runtime.Vault.EnsureContainerAsync(cancellationToken);
        try
        {
            await runtime.Vault.WriteOnceAsync(blob, VaultJson.Serialize(report),
                new Dictionary<string, string> { ["runid"] = runId }, cancellationToken);
        }
        catch (VaultException)
        {
            // Written by an earlier attempt of this same activity? Then this attempt is done too.
            var existing = await runtime.Vault.StatAsync(blob, cancellationToken);
            if (existing is null || !existing.Metadata.TryGetValue("runid", out string? id) || id != runId)
            {
                throw;
            }
        }

        return blob;
    }
}
