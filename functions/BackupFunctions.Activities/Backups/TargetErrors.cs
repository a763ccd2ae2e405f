using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>Prefixes engine and vault failures with the target or backup they concern, keeping their kind.</summary>
internal static class TargetErrors
{
    public static async Task<T> About<T>(string subject, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (EngineException e)
        {
            throw new EngineException(e.Kind, $"{subject}: {e.Message}", e);
        }
        catch (VaultException e)
        {
            throw new VaultException($"{subject}: {e.Message}", e);
        }
    }

    /// <summary>Parses a backup id, or a configuration error that shows the expected shape.</summary>
    public static BackupId ParseId(string text) =>
        BackupId.TryParse(text, out var id)
            ? id
            : throw new Configuration.BackupConfigurationException(
                $"'{text}' is not a backup id (expected TARGET-yyyyMMddTHHmmssZ-xxxx, as shown by 'backupfn list')");
}
