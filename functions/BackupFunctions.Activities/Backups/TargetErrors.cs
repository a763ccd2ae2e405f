using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>Prefixes engine, vault and storage failures with the target or backup they concern, keeping their kind.</summary>
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
        catch (Exception e) when (Failures.Classify(e) == FailureClass.Storage)
        {
            // The SDK's own text ("Retry failed after 6 tries. Retry settings can be adjusted in
            // ClientOptions.Retry ...") names neither the target nor the fix; the failure model's line does.
            throw new VaultException($"{subject}: {Failures.Describe(e)}", e);
        }
    }

    /// <summary>Parses a backup id, or a configuration error that shows the expected shape.</summary>
    public static BackupId ParseId(string text) =>
        BackupId.TryParse(text, out var id)
            ? id
            : throw new Configuration.BackupConfigurationException(
                $"'{text}' is not a backup id (expected TARGET-yyyyMMddTHHmmssZ-xxxx, as shown by 'backupfn list')");
}
