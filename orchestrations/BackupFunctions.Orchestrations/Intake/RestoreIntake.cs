using BackupFunctions.Activities.Restores;
using System.Text;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>
/// The one restore intake of both hosts' queue triggers: parse and validate a request, poison a
/// malformed or unknown one at once (to restore-requests-poison, with its reason recorded), and
/// start the Restore orchestration as restore-{requestId}, so a redelivered message joins the run
/// already going (and RestoreDatabase is idempotent on request id + backup id).
/// </summary>
public sealed class RestoreIntake(BackupRuntime runtime, IOrchestrationClient client)
{
    /// <summary>A restore request is a few hundred bytes; anything far larger is not one.</summary>
    public const int MaxMessageBytes = 8 * 1024;

    public static string InstanceId(string requestId) => $"restore-{requestId}";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and validates a request's bytes (UTF-8 JSON, as a decoded queue message holds them); returns the problem, or null with the request.</summary>
    public string? Parse(BinaryData body, out RestoreRequest? request)
    {
        request = null;
        var bytes = body.ToMemory();
        if (TooBig(bytes.Length) is { } tooBig)
        {
            return tooBig;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException e)
        {
            // Replacing the bytes would act on a request other than the one sent.
            return $"message is not valid UTF-8 (byte {e.Index} of {bytes.Length})";
        }

        return Parse(text, out request);
    }

    /// <summary>Reads and validates the JSON text of a request; returns the problem (one line), or null with the request.</summary>
    public string? Parse(string text, out RestoreRequest? request)
    {
        string? problem = FindProblem(text, out request);
        if (problem is not null)
        {
            request = null;
        }

        return problem is null ? null : OneLine(problem);
    }

    private string? FindProblem(string text, out RestoreRequest? request)
    {
        request = null;
        if (SizeProblem(text) is { } tooBig)
        {
            return tooBig;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return "message is empty; a restore request is a JSON object such as {\"backupId\": \"...\", \"destination\": \"...\"}";
        }

        if (ShapeProblem(text) is { } shape)
        {
            return shape;
        }

        try
        {
            request = JsonSerializer.Deserialize<RestoreRequest>(text, TaskJson.Options);
        }
        catch (JsonException e)
        {
            return $"message is not a valid restore request JSON: {Describe(e)}";
        }

        if (request is null)
        {
            return "message is JSON null, not a restore request";
        }

        if (request.Problem() is { } problem)
        {
            return problem;
        }

        if (request.DestinationSecret is not null && runtime.Secrets is null)
        {
            return $"'destinationSecret' '{request.DestinationSecret}' needs Backup:KeyVaultUri on the host that restores (set it, or name a configured target in 'destination')";
        }

        try
        {
            if (request.Destination is not null)
            {
                runtime.Resolve(request.Destination);
            }

            if (request.Target is not null)
            {
                runtime.Resolve(request.Target);
            }
        }
        catch (BackupConfigurationException e)
        {
            return e.Message;
        }

        return request.BackupId is not null && !BackupId.TryParse(request.BackupId, out _)
            ? $"'{request.BackupId}' is not a backup id (expected TARGET-yyyyMMddTHHmmssZ-xxxx)"
            : null;
    }

    /// <summary>
    /// What the serializer would not name: a message that is JSON but not an object, or that gives a
    /// field twice (the serializer would silently keep the last one). Null when neither, or when the
    /// JSON is malformed (the serializer says where).
    /// </summary>
    private static string? ShapeProblem(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase); // fields match case-insensitively
        try
        {
            if (!reader.Read())
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                string kind = reader.TokenType switch
                {
                    JsonTokenType.StartArray => "a JSON array",
                    JsonTokenType.String => "a JSON string",
                    JsonTokenType.Number => "a JSON number",
                    JsonTokenType.True or JsonTokenType.False => "a JSON boolean",
                    _ => "JSON null",
                };
                return $"message is {kind}, not an object; a restore request is a JSON object such as {{\"backupId\": \"...\", \"destination\": \"...\"}}";
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                if (name.Contains("connection", StringComparison.OrdinalIgnoreCase))
                {
                    return $"'{name}' is refused: a connection string is never accepted in a message (store it in Key Vault and give 'destinationSecret', or name a configured target in 'destination')";
                }

                if (!names.Add(name))
                {
                    return $"'{name}' is given twice (which one was meant?)";
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Malformed: the serializer's message says where.
        }

        return null;
    }

    /// <summary>A serializer error as a user reads it: the field and what it must be, or where the JSON breaks.</summary>
    private static string Describe(JsonException e)
    {
        string message = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0];
        string path = e.Path ?? "$";
        if (path.StartsWith("$.", StringComparison.Ordinal) && e.InnerException is InvalidOperationException inner)
        {
            string field = path[2..].Split('.', '[')[0];
            string expected = field.ToLowerInvariant() is "latest" or "replace" or "safetybackup" ? "true or false" : "a string";
            return $"'{field}' must be {expected} ({inner.Message.Split(". ")[0].TrimEnd('.')})";
        }

        return path == "$" ? message : $"at {path}: {message}";
    }

    /// <summary>
    /// A reason as one printable line: control characters (a line break in a requested name) become
    /// \uXXXX, so a reason can neither break nor forge a log line or a record.
    /// </summary>
    public static string OneLine(string reason) =>
        reason.Any(char.IsControl) ? string.Concat(reason.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : reason;

    /// <summary>Why a message is too large to be a restore request; null when it is not (checked before decoding too).</summary>
    public static string? SizeProblem(string text) => TooBig(Encoding.UTF8.GetByteCount(text));

    private static string? TooBig(int bytes) =>
        bytes > MaxMessageBytes ? $"message is {bytes} bytes; a restore request is at most {MaxMessageBytes} bytes" : null;

    /// <summary>Starts the Restore orchestration of a valid request, or joins the one already active for it; returns its instance id.</summary>
    /// <param name="recordFailure">True where the host does not wait for the outcome (the Azure queue trigger): the orchestration records final failures too.</param>
    public async Task<string> StartAsync(RestoreRequest request, string requestId, DateTimeOffset? insertedOn, long dequeueCount, bool recordFailure,
        CancellationToken cancellationToken)
    {
        string instanceId = InstanceId(requestId);
        try
        {
            await client.StartAsync(TaskNames.Orchestrators.Restore, instanceId,
                request with { RequestId = requestId, InsertedOn = insertedOn, DequeueCount = dequeueCount, RecordFailure = recordFailure },
                StartRule.UnlessActive, cancellationToken);
        }
        catch (InstanceExistsException)
        {
            // A redelivery while the first delivery's restore still runs: follow that one.
        }

        return instanceId;
    }

    /// <summary>Moves a message to <paramref name="poisonQueue"/> unchanged (as the Functions host does) and records why.</summary>
    public async Task PoisonAsync(string requestId, BinaryData body, string reason, DateTimeOffset? insertedOn, long dequeueCount, string poisonQueue,
        CancellationToken cancellationToken)
    {
        var poison = RestoreQueues.For(runtime.Options.Storage, poisonQueue);
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(body, cancellationToken: cancellationToken);
        await RecordAsync(requestId, RestoreStatus.Poisoned, OneLine(reason), null, insertedOn, dequeueCount, cancellationToken);
    }

    /// <summary>Where the outcome of a request sent at <paramref name="insertedOn"/> is recorded.</summary>
    public static string RecordBlob(string requestId, DateTimeOffset insertedOn) => BlobLayout.RunReport(InstanceId(requestId), insertedOn);

    /// <summary>The recorded outcome of a request; null until one is recorded (or when the record is unreadable).</summary>
    public static async Task<RestoreRecord?> FindRecordAsync(BlobVault vault, string requestId, DateTimeOffset insertedOn, CancellationToken cancellationToken)
    {
        await using var stream = await vault.OpenReadAsync(RecordBlob(requestId, insertedOn), cancellationToken);
        if (stream is null)
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<RestoreRecord>(stream, VaultJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Records the outcome as runs/{yyyy}/{MM}/{dd}/restore-{requestId}.json (once: a later delivery finds it written).</summary>
    public Task RecordAsync(string requestId, RestoreStatus status, string detail, string? backupId, DateTimeOffset? insertedOn, long dequeueCount,
        CancellationToken cancellationToken) =>
        RecordAsync(runtime, requestId, status, detail, backupId, insertedOn, dequeueCount, cancellationToken);

    /// <summary>As <see cref="RecordAsync(string, RestoreStatus, string, string?, DateTimeOffset?, long, CancellationToken)"/>, for the RecordRestore activity.</summary>
    public static async Task RecordAsync(BackupRuntime runtime, string requestId, RestoreStatus status, string detail, string? backupId, DateTimeOffset? insertedOn,
        long dequeueCount, CancellationToken cancellationToken)
    {
        var at = runtime.Time.GetUtcNow();
        string blob = RecordBlob(requestId, insertedOn ?? at);
        var record = new RestoreRecord(requestId, status, detail, backupId, dequeueCount, at);
        try
        {
            await runtime.Vault.EnsureContainerAsync(cancellationToken);
            await runtime.Vault.WriteOnceAsync(blob, VaultJson.Serialize(record), new Dictionary<string, string> { ["status"] = status.ToString() }, cancellationToken);
        }
        catch (VaultException)
        {
            // Already recorded by an earlier delivery of the same message.
        }
    }
}

/// <summary>
/// The recorded outcome of a queued restore request (runs/{yyyy}/{MM}/{dd}/restore-{requestId}.json):
/// Restored or AlreadyRestored, or Poisoned with the reason; what `backupfn request-restore --wait` follows.
/// </summary>
public sealed record RestoreRecord(string RequestId, RestoreStatus Status, string Detail, string? BackupId, long DequeueCount, DateTimeOffset At);
