using Azure.Identity;
using Azure.Storage.Blobs;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// The composition root each host builds once per process: validated options, the vault, the
/// clock, logging, secrets and targets. Activities never take it; they take the parts they use
/// (see <see cref="BackupRuntimeActivities"/>), so both hosts run the same code.
/// </summary>
public sealed class BackupRuntime
{
    public BackupRuntime(BackupOptions options, BlobVault vault, TimeProvider time, ILoggerFactory loggers, SecretResolver? secrets = null,
        IReadOnlyDictionary<string, BlobVault>? copies = null)
    {
        Secrets = secrets;
        Options = options;
        Vault = vault;
        Time = time;
        Loggers = loggers;
        Targets = new Targets(options, secrets, time, loggers);
        Copies = copies ?? new Dictionary<string, BlobVault>(StringComparer.Ordinal);
        Immutability = options.Storage.Immutability;
    }

    /// <summary>The runtime of copy <paramref name="name"/>: the same targets and keys over that copy's vault, which has no copies of its own.</summary>
    private BackupRuntime(BackupRuntime primary, string name, BlobVault vault)
    {
        Secrets = primary.Secrets;
        Options = primary.Options;
        Vault = vault;
        Time = primary.Time;
        Loggers = primary.Loggers;
        Targets = primary.Targets;
        Copies = new Dictionary<string, BlobVault>(StringComparer.Ordinal);
        VaultName = name;
        Immutability = primary.Options.Copies[name].Immutability;
        RetentionOverride = primary.Options.Copies[name].Retention;
    }

    /// <summary>Copy vaults by name (Backup:Copies); empty when none are configured, and in a copy's own runtime.</summary>
    public IReadOnlyDictionary<string, BlobVault> Copies { get; }

    /// <summary>The copy this runtime reads and writes; null for the primary vault (Backup:Storage).</summary>
    public string? VaultName { get; }

    /// <summary>The immutability settings of this runtime's vault.</summary>
    public ImmutabilityOptions Immutability { get; }

    /// <summary>A copy's own Retention, which replaces every target's policy in that vault; null to use the targets' policies.</summary>
    public RetentionOptions? RetentionOverride { get; }

    /// <summary>
    /// The runtime over the vault named <paramref name="name"/>: this one for null or "primary", a copy's otherwise.
    /// An unknown name is a configuration error listing the configured copies.
    /// </summary>
    public BackupRuntime ForVault(string? name) =>
        name is null || name == CopyVaults.Primary ? this
        : Copies.TryGetValue(name, out var vault) ? new BackupRuntime(this, name, vault)
        : throw CopyVaults.Unknown(name, Copies.Keys);

    public BackupOptions Options { get; }
    public BlobVault Vault { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Loggers { get; }

    /// <summary>Key Vault secrets for ConnectionSecret; null when Backup:KeyVaultUri is not set.</summary>
    public SecretResolver? Secrets { get; }

    /// <summary>Client-side encryption keys by id.</summary>
    public EncryptionKeys Keys => Targets.Keys;

    /// <summary>Builds the runtime from options: a blob container client from the storage connection.</summary>
    public static BackupRuntime Create(BackupOptions options, TimeProvider time, ILoggerFactory loggers, SecretResolver? secrets = null)
    {
        var container = CreateContainerClient(options.Storage);
        var vault = new BlobVault(container, options.Storage.Immutability, time, loggers.CreateLogger<BlobVault>()) { RunningLease = options.Storage.RunningLease };
        var copies = options.Copies.ToDictionary(c => c.Key,
            c => new BlobVault(CreateContainerClient(c.Value.Connection, c.Value.Container, $"Backup:Copies:{c.Key}:Connection"), c.Value.Immutability, time,
                loggers.CreateLogger<BlobVault>()), StringComparer.Ordinal);
        return new BackupRuntime(options, vault, time, loggers, secrets ?? SecretResolver.For(options, time), copies);
    }

    /// <summary>
    /// A connection string ("UseDevelopmentStorage=true", "DefaultEndpointsProtocol=...") or an
    /// https blob endpoint, which uses managed identity / DefaultAzureCredential.
    /// </summary>
    public static BlobContainerClient CreateContainerClient(StorageOptions storage) =>
        CreateContainerClient(storage.Connection, storage.Container, "Backup:Storage:Connection");

    /// <summary>As <see cref="CreateContainerClient(StorageOptions)"/>, for any vault; <paramref name="key"/> names the setting in errors.</summary>
    public static BlobContainerClient CreateContainerClient(string connection, string containerName, string key)
    {
        var clientOptions = BlobVault.ClientOptions();
        try
        {
            if (Uri.TryCreate(connection, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
            {
                return new BlobServiceClient(uri, new DefaultAzureCredential(), clientOptions).GetBlobContainerClient(containerName);
            }

            return new BlobServiceClient(connection, clientOptions).GetBlobContainerClient(containerName);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new BackupConfigurationException($"{key} is not a valid storage connection string or https blob endpoint", e);
        }
    }

    /// <summary>Target resolution: the named targets with their engines, connections and keys.</summary>
    public Targets Targets { get; }

    /// <inheritdoc cref="Targets.ResolveAsync"/>
    public Task<ResolvedTarget> ResolveAsync(string name, CancellationToken cancellationToken) => Targets.ResolveAsync(name, cancellationToken);

    /// <inheritdoc cref="Targets.Resolve"/>
    public ResolvedTarget Resolve(string name) => Targets.Resolve(name);

    /// <inheritdoc cref="Targets.EngineFor"/>
    public IDatabaseEngine EngineFor(string engineName, string targetName) => Targets.EngineFor(engineName, targetName);

    /// <summary>Every configured target name, in a stable order.</summary>
    public IReadOnlyList<string> TargetNames => Targets.Names;
}
