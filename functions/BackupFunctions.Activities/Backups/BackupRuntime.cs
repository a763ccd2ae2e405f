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
    public BackupRuntime(BackupOptions options, BlobVault vault, TimeProvider time, ILoggerFactory loggers, SecretResolver? secrets = null)
    {
        Secrets = secrets;
        Options = options;
        Vault = vault;
        Time = time;
        Loggers = loggers;
        Targets = new Targets(options, secrets, time, loggers);
    }

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
        return new BackupRuntime(options, vault, time, loggers, secrets ?? SecretResolver.For(options, time));
    }

    /// <summary>
    /// A connection string ("UseDevelopmentStorage=true", "DefaultEndpointsProtocol=...") or an
    /// https blob endpoint, which uses managed identity / DefaultAzureCredential.
    /// </summary>
    public static BlobContainerClient CreateContainerClient(StorageOptions storage)
    {
        var clientOptions = BlobVault.ClientOptions();
        try
        {
            if (Uri.TryCreate(storage.Connection, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
            {
                return new BlobServiceClient(uri, new DefaultAzureCredential(), clientOptions).GetBlobContainerClient(storage.Container);
            }

            return new BlobServiceClient(storage.Connection, clientOptions).GetBlobContainerClient(storage.Container);
        }
        catch (FormatException e)
        {
            throw new BackupConfigurationException("Backup:Storage:Connection is not a valid storage connection string or https blob endpoint", e);
        }
        catch (ArgumentException e)
        {
            throw new BackupConfigurationException("Backup:Storage:Connection is not a valid storage connection string or https blob endpoint", e);
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
