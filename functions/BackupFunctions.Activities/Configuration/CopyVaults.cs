using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Configuration;

/// <summary>The rules of Backup:Copies: names, connections, containers, and that a copy is not the primary itself.</summary>
public static class CopyVaults
{
    /// <summary>The name that selects the primary vault (Backup:Storage) wherever a vault is named (--vault, --from).</summary>
    public const string Primary = "primary";

    /// <summary>Adds every problem of Backup:Copies to <paramref name="problems"/>, each naming its key.</summary>
    public static void Validate(List<string> problems, BackupOptions options)
    {
        foreach (var (name, copy) in options.Copies)
        {
            string key = $"Backup:Copies:{name}";
            if (!BackupId.IsValidTargetName(name) || name == Primary)
            {
                problems.Add($"{key}: copy name '{name}' is invalid (use 1-63 lower-case letters, digits and inner hyphens; '{Primary}' names Backup:Storage)");
            }

            if (string.IsNullOrWhiteSpace(copy.Connection))
            {
                problems.Add($"{key}:Connection is empty (a storage connection string, or the copy account's blob endpoint URL for managed identity)");
            }

            if (!BackupConfiguration.IsValidContainerName(copy.Container))
            {
                problems.Add($"{key}:Container '{copy.Container}' is not a valid container name (3-63 lower-case letters, digits and single hyphens)");
            }
            else if (string.Equals(copy.Connection?.Trim(), options.Storage.Connection?.Trim(), StringComparison.Ordinal) && copy.Container == options.Storage.Container)
            {
                problems.Add($"{key} is the primary vault itself (same Connection and Container as Backup:Storage; give the copy another account or container)");
            }

            if (copy.Immutability.MinRetentionDays < 0)
            {
                problems.Add($"{key}:Immutability:MinRetentionDays must be 0 or more");
            }

            if (copy.Retention is { } retention)
            {
                BackupConfiguration.CheckRetention(problems, key, retention);
            }
        }
    }

    /// <summary>The one-line error for a vault name that is not configured, listing the names that are.</summary>
    public static BackupConfigurationException Unknown(string name, IEnumerable<string> configured)
    {
        var names = configured.ToList();
        string known = names.Count == 0 ? "no copies are configured (add Backup:Copies:NAME)" : $"configured copies: {string.Join(", ", names)}";
        return new BackupConfigurationException($"vault '{name}' is not configured ({known}; '{Primary}' is Backup:Storage)");
    }
}
