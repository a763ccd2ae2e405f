using System.Text.Json;
using System.Text.Json.Serialization;

namespace BackupFunctions.Vault.Catalog;

/// <summary>
/// The record that makes a backup exist: written last, create-only, never edited. Versioned by
/// <see cref="SchemaVersion"/>; readers refuse versions newer than they know.
/// </summary>
public sealed record BackupManifest
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string Id { get; init; }
    public required string Target { get; init; }
    public required string Engine { get; init; }
    public required string EngineVersion { get; init; }
    public required string Tool { get; init; }
    public required string ToolVersion { get; init; }
    public required string Format { get; init; }
    /// <summary>Where the data came from, redacted to host/port/database: never credentials.</summary>
    public required string Source { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    public required string Compression { get; init; }
    public EncryptionInfo? Encryption { get; init; }
    public required long RawBytes { get; init; }
    public required long StoredBytes { get; init; }
    public required string Sha256Raw { get; init; }
    public required string Sha256Stored { get; init; }
    public required ManifestBlobs Blobs { get; init; }
    public required SourceStatsRecord SourceStats { get; init; }
    public required ImmutabilityRecord Immutability { get; init; }

    /// <summary>Facts about the dump a restorer must know (e.g. "the graph changed during the export"); null when none.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    /// <summary>Reads a manifest; refuses a schema version newer than this build knows.</summary>
    public static BackupManifest Parse(BinaryData json, string blobName)
    {
        var manifest = VaultJson.Deserialize<BackupManifest>(json);
        if (manifest.SchemaVersion > CurrentSchemaVersion)
        {
            throw new Storage.VaultException(
                $"manifest '{blobName}' has schema version {manifest.SchemaVersion}, newer than this build reads ({CurrentSchemaVersion}); upgrade backupfn");
        }

        return manifest;
    }
}

/// <summary>
/// Client-side encryption details: the algorithm and the id of the key, never the key. Envelope keys add the
/// data key wrapped with RSA (<paramref name="KeyWrap"/> "RSA-OAEP-256", base64 <paramref name="WrappedKey"/>) and
/// which RSA key wrapped it (<paramref name="WrappingKey"/>: a Key Vault key version URL, or "sha256:" and the
/// fingerprint of a PEM public key); all three are null for symmetric keys.
/// </summary>
public sealed record EncryptionInfo(string Alg, string KeyId, string? KeyWrap = null, string? WrappedKey = null, string? WrappingKey = null);

/// <summary>Names of the backup's blobs.</summary>
public sealed record ManifestBlobs(string Data, string Manifest);

/// <summary>
/// What the source held at the dump's snapshot: <see cref="Kind"/> says what <see cref="Counts"/>
/// counts (e.g. "rowsPerTable"), keyed by object name.
/// </summary>
public sealed record SourceStatsRecord(string Kind, IReadOnlyDictionary<string, long> Counts, long? SourceSizeBytes);

/// <summary>What immutability the store applied: Mode from configuration, Status what happened.</summary>
public sealed record ImmutabilityRecord(Storage.ImmutabilityMode Mode, ImmutabilityStatus Status, DateTimeOffset? RetainUntil, string? Detail);

/// <summary>JSON shape shared by every vault record (camelCase, enums as strings, indented).</summary>
public static class VaultJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Vault records and API responses are JSON documents, never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter() },
    };

    public static BinaryData Serialize<T>(T value) => BinaryData.FromObjectAsJson(value, Options);

    public static T Deserialize<T>(BinaryData data) =>
        data.ToObjectFromJson<T>(Options) ?? throw new JsonException($"empty {typeof(T).Name} document");
}
