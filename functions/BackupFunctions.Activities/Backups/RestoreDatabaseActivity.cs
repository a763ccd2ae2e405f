using System.Diagnostics;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Backups;

/// <summary>Input of a restore: which backup, into which configured target, and whether a non-empty destination may be replaced.</summary>
public sealed record RestoreDatabaseInput(string BackupId, string Destination, bool Replace);

/// <summary>What a restore did, and whether the restored counts match the backup's.</summary>
public sealed record RestoreDatabaseOutput(string BackupId, string Destination, bool CountsMatch, string Detail, double Seconds);

/// <summary>
/// Restores a backup into a configured target. Refuses a non-empty destination unless Replace;
/// checksums are verified before the restored data replaces anything, so a corrupt backup never
/// overwrites the destination.
/// </summary>
public sealed class RestoreDatabaseActivity(BackupRuntime runtime)
{
    public async Task<RestoreDatabaseOutput> RunAsync(RestoreDatabaseInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var backup = await StoredBackup.GetAsync(runtime, input.BackupId, cancellationToken);
        var destination = runtime.Resolve(input.Destination);
        if (destination.Engine.Name != backup.Manifest.Engine)
        {
            throw new BackupConfigurationException(
                $"backup {backup.Id} is a {backup.Manifest.Engine} backup but target '{destination.Name}' is {destination.Engine.Name} (choose a {backup.Manifest.Engine} target)");
        }

        return await TargetErrors.About($"restore of {backup.Id} into '{destination.Name}'", async () =>
        {
            var clock = Stopwatch.StartNew();
            await using var reader = await backup.OpenAsync(runtime, cancellationToken)
                ?? throw new EngineException(FailureKind.NotFound, $"data blob '{backup.Manifest.Blobs.Data}' is missing (run 'backupfn verify {backup.Id}')");
            if (progress is not null)
            {
                reader.Progress = bytes => progress.Report(new TransferProgress("restore", bytes, backup.Manifest.StoredBytes));
            }

            await destination.Engine.RestoreAsync(reader.Raw, destination.Connection, new RestoreOptions(input.Replace,
                VerifyBeforeSwap: async ct =>
                {
                    var checksums = await reader.FinishAsync(ct);
                    if (!checksums.IsOk)
                    {
                        throw new EngineException(FailureKind.Failed,
                            $"backup failed verification ({checksums.Status}: {checksums.Detail}); the destination was left unchanged");
                    }
                }), cancellationToken);

            var restored = await destination.Engine.ReadStatsAsync(destination.Connection, cancellationToken);
            var (equal, detail) = StatsComparison.Compare(backup.Manifest.SourceStats.Counts, restored.Counts);
            return new RestoreDatabaseOutput(backup.Id.Value, destination.Name, equal,
                $"restored into {destination.Description}: {detail}", clock.Elapsed.TotalSeconds);
        });
    }
}
