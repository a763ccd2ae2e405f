using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// Activity names to the activity classes, for a host that runs activities itself (the local host).
/// Inputs and outputs cross as JSON, exactly as they would through Durable storage, so a payload
/// that does not serialize fails here too.
/// </summary>
/// <param name="progress">Optional progress sink per label ("orders backup", "orders verify"), for a terminal display.</param>
public sealed class ActivityRegistry(BackupRuntime runtime, Func<string, IProgress<TransferProgress>?>? progress = null)
{
    public static JsonSerializerOptions Json => VaultJson.Options;

    /// <summary>Runs activity <paramref name="name"/> on a JSON input and returns its JSON output.</summary>
    public async Task<string> InvokeAsync(string name, string input, CancellationToken cancellationToken)
    {
        object? output = name switch
        {
            TaskNames.Activities.BackupDatabase => await Backup(Read<BackupDatabaseInput>(input), cancellationToken),
            TaskNames.Activities.VerifyBackup =>
                await new VerifyBackupActivity(runtime).RunAsync(Read<string>(input), ProgressFor(Read<string>(input), "verify"), cancellationToken),
            TaskNames.Activities.RestoreTest =>
                await new RestoreTestActivity(runtime).RunAsync(Read<string>(input), ProgressFor(Read<string>(input), "restore-test"), cancellationToken),
            TaskNames.Activities.PruneBackups =>
                await new PruneBackupsActivity(runtime).RunAsync(Read<PruneBackupsInput>(input), cancellationToken),
            TaskNames.Activities.RestoreDatabase =>
                await new RestoreDatabaseActivity(runtime).RunAsync(Read<RestoreDatabaseInput>(input), null, cancellationToken),
            TaskNames.Activities.WriteRunReport =>
                await new WriteRunReportActivity(runtime).RunAsync(Read<RunReport>(input), cancellationToken),
            TaskNames.Activities.Notify =>
                await new NotifyActivity(runtime).RunAsync(Read<NotifyInput>(input), cancellationToken),
            _ => throw new ArgumentException($"no activity named '{name}'", nameof(name)),
        };
        return JsonSerializer.Serialize(output, Json);
    }

    private Task<BackupDatabaseOutput> Backup(BackupDatabaseInput input, CancellationToken cancellationToken) =>
        new BackupDatabaseActivity(runtime).RunAsync(input, progress?.Invoke($"{input.Target} backup"), cancellationToken);

    private IProgress<TransferProgress>? ProgressFor(string backupId, string stage) =>
        progress is null ? null : progress($"{(BackupId.TryParse(backupId, out var id) ? id.Target : backupId)} {stage}");

    private static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException($"activity input of type {typeof(T).Name} is null");
}
