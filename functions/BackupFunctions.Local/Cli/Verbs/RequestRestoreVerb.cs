using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Restores;
using BackupFunctions.Local.Serve;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary>
/// <c>backupfn request-restore</c>: puts a restore request on the restore-requests queue (encoded as
/// host.json says), prints its request id, and with --wait follows it to its recorded outcome: exit 0
/// when restored, 1 when poisoned (with the reason) or when no outcome came within --timeout. A
/// destination is a configured target or a Key Vault secret name: a connection string is refused
/// before anything is sent, so no credential travels in a message.
/// </summary>
internal static class RequestRestoreVerb
{
    public static VerbDefinition Define()
    {
        var backup = new Option<string?>("--backup") { Description = "Backup id to restore" };
        var target = new Option<string?>("--target") { Description = "With --latest: restore this target's newest backup (resolved by the host)" };
        var latest = new Option<bool>("--latest") { Description = "Restore the newest backup of --target" };
        var to = new Option<string?>("--to") { Description = "Configured target to restore into" };
        var toSecret = new Option<string?>("--to-connection-secret") { Description = "Key Vault secret holding the destination's connection string (the host reads it)" };
        var toConnection = new Option<string?>("--to-connection") { Description = "Refused here: a connection string never travels on the queue", Hidden = true };
        var replace = new Option<bool>("--replace") { Description = "Replace a non-empty destination (only after the restore has succeeded)" };
        var noSafety = new Option<bool>("--no-safety-backup") { Description = "With --replace: do not back the destination up first (the host backs it up by default)" };
        var requestedBy = new Option<string?>("--requested-by") { Description = "Who asks (recorded); default: the user name" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the outcome: exit 0 when restored, 1 when poisoned or not done within --timeout" };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long --wait waits (hh:mm:ss)", DefaultValueFactory = _ => TimeSpan.FromMinutes(30) };
        var hostJson = new Option<string?>("--host-json") { Description = "host.json whose extensions.queues.messageEncoding the message follows (default: ./host.json when present)" };
        return new VerbDefinition("request-restore", "Queue a restore request (as an operator would), print its request id, and with --wait follow it to its outcome",
            (s, r, ct) =>
            {
                if (r.GetValue(toConnection) is not null)
                {
                    // The value is not echoed: it is a credential.
                    throw new BackupConfigurationException(
                        "a connection string is never sent on the queue; store it in Key Vault and give --to-connection-secret NAME, or name a configured target with --to");
                }

                var request = new RestoreRequest(r.GetValue(backup), r.GetValue(target), r.GetValue(latest), r.GetValue(to), r.GetValue(replace),
                    r.GetValue(requestedBy) ?? Environment.UserName, SafetyBackup: !r.GetValue(noSafety), DestinationSecret: r.GetValue(toSecret));
                return RunAsync(s, request, r.GetValue(wait), r.GetValue(timeout), r.GetValue(hostJson), ct);
            },
            [backup, target, latest, to, toSecret, toConnection, replace, noSafety, requestedBy, wait, timeout, hostJson]);
    }

    /// <summary>How often --wait reads the outcome record.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    private static async Task<int> RunAsync(CliSession s, RestoreRequest request, bool wait, TimeSpan timeout, string? hostJson, CancellationToken ct)
    {
        if (Refusal(request) is { } problem)
        {
            throw new BackupConfigurationException(problem);
        }

        var settings = HostSettings.Load(hostJson ?? (File.Exists("host.json") ? "host.json" : null));
        string json = JsonSerializer.Serialize(request, TaskJson.Options);
        string body = settings.MessageEncoding == "base64" ? Convert.ToBase64String(Encoding.UTF8.GetBytes(json)) : json;
        var queue = RestoreQueues.For(s.Runtime.Options.Storage, RestoreQueues.QueueName);
        await queue.CreateIfNotExistsAsync(cancellationToken: ct);
        var receipt = (await queue.SendMessageAsync(body, ct)).Value;
        string id = receipt.MessageId;
        if (!wait)
        {
            await WriteAsync(s, id, null, $"queued restore request {id} on '{RestoreQueues.QueueName}' (outcome: {RestoreIntake.RecordBlob(id, receipt.InsertionTime)})");
            return ExitCodes.Ok;
        }

        if (!s.Json)
        {
            await s.Error.WriteLineAsync($"backupfn request-restore: queued restore request {id}; waiting up to {timeout} for its outcome");
        }

        var record = await RestoreOutcomeWatch.WaitAsync(c => RestoreIntake.FindRecordAsync(s.Runtime.Vault, id, receipt.InsertionTime, c),
            PollInterval, timeout, s.Runtime.Time, ct);
        if (record is null)
        {
            await WriteAsync(s, id, null, $"request {id}: no outcome within {timeout}; it is still queued or running (is 'backupfn serve' or the Function App running?)");
            return ExitCodes.Failed;
        }

        await WriteAsync(s, id, record, $"request {id}: {record.Status}: {record.Detail}");
        return record.Status is RestoreStatus.Restored or RestoreStatus.AlreadyRestored ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>Why the request would be refused, checked before anything is sent; null when it is well-formed.</summary>
    private static string? Refusal(RestoreRequest request)
    {
        if (request.BackupId is not null && request.Latest)
        {
            return "give either --backup ID or --target NAME --latest, not both";
        }

        if (request.BackupId is null && !(request.Latest && request.Target is not null))
        {
            return "which backup? give --backup ID, or --target NAME --latest";
        }

        if (request.Destination is null && request.DestinationSecret is null)
        {
            return "where to? give --to TARGET, or --to-connection-secret NAME";
        }

        if (request.Destination is not null && request.DestinationSecret is not null)
        {
            return "give either --to TARGET or --to-connection-secret NAME, not both";
        }

        if (request.DestinationSecret is { } secret && !RestoreRequest.IsSecretName(secret))
        {
            // The value is not echoed: it may be the connection string itself.
            return "--to-connection-secret takes the name of a Key Vault secret (1-127 letters, digits and hyphens), never a connection string";
        }

        if (request.BackupId is not null && !BackupId.TryParse(request.BackupId, out _))
        {
            return string.Create(CultureInfo.InvariantCulture, $"'{request.BackupId}' is not a backup id (expected TARGET-yyyyMMddTHHmmssZ-xxxx; see 'backupfn list')");
        }

        return request.Problem();
    }

    private static async Task WriteAsync(CliSession s, string requestId, RestoreRecord? record, string line)
    {
        if (s.Json)
        {
            s.WriteJson(new { requestId, queue = RestoreQueues.QueueName, outcome = record });
        }
        else
        {
            await s.Out.WriteLineAsync(line);
        }
    }
}
