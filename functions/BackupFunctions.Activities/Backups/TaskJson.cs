using System.Text.Json;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// How orchestration and activity inputs and outputs are written into the task hub by the local
/// engine, and how the shared intake reads them back: the vault's JSON (camelCase, enums by name,
/// case-insensitive on read, so the Durable Functions default converter's output reads too), unindented.
/// </summary>
public static class TaskJson
{
    public static JsonSerializerOptions Options { get; } = new(VaultJson.Options) { WriteIndented = false };
}
