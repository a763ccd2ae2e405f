using System.Text.Json;
using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Orchestrations;

/// <summary>Orchestrator names to their code, with JSON inputs and outputs (as Durable passes them).</summary>
public static class OrchestratorRegistry
{
    public static async Task<string> RunAsync(string name, IOrchestrationContext context, string input) => name switch
    {
        TaskNames.Orchestrators.BackupAll => Write(await BackupAllOrchestrator.RunAsync(context, Read<BackupAllInput>(input))),
        TaskNames.Orchestrators.TargetBackup => Write(await TargetBackupOrchestrator.RunAsync(context, Read<TargetBackupInput>(input))),
        TaskNames.Orchestrators.Restore => Write(await RestoreOrchestrator.RunAsync(context, Read<RestoreRequest>(input))),
        _ => throw new ArgumentException($"no orchestrator named '{name}'", nameof(name)),
    };

    private static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, ActivityRegistry.Json) ?? throw new JsonException($"orchestrator input of type {typeof(T).Name} is null");

    private static string Write<T>(T value) => JsonSerializer.Serialize(value, ActivityRegistry.Json);
}
