using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// Activity names to the activity classes, for a host that runs activities itself (the local host).
/// Inputs and outputs cross as JSON, exactly as they would through Durable storage, so a payload
/// that does not serialize fails here too.
/// </summary>
public sealed class ActivityRegistry(BackupRuntime runtime)
{
    public static JsonSerializerOptions Json => VaultJson.Options;

    /// <summary>Runs activity <paramref name="name"/> on a JSON input and returns its JSON output.</summary>
    public async Task<string> InvokeAsync(string name, string input, CancellationToken cancellationToken)
    {
        object? output = name switch
        {
            TaskNames.Activities.BackupDatabase =>
                await new BackupDatabaseActivity(runtime).RunAsync(Read<BackupDatabaseInput>(input), null, cancellationToken),
            TaskNames.Activities.VerifyBackup =>
                await new VerifyBackupActivity(runtime).RunAsync(Read<string>(input), null, cancellationToken),
            TaskNames.Activities.RestoreTest =>
                await new RestoreTestActivity(runtime).RunAsync(Read<string>(input), null, cancellationToken),
            TaskNames.Activities.PruneBackups =>
                await new PruneBackupsActivity(runtime).RunAsync(Read<PruneBackupsInput>(input), cancellationToken),
            TaskNames.Activities.RestoreDatabase =>
                await new RestoreDatabaseActivity(runtime).RunAsync(Read<RestoreDatabaseInput>(input), null, cancellationToken),
            TaskNames.Activities.WriteRunReport =>
                await new WriteRunReportActivity(runtime).RunAsync(Read<RunReport>(input), cancellationToken),
            _ => throw new ArgumentException($"no activity named '{name}'", nameof(name)),
        };
        return JsonSerializer.Serialize(output, Json);
    }

    private static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException($"activity input of type {typeof(T).Name} is null");
}
