using Azure.Identity;
using Azure.Storage.Blobs;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Postgres;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>A configured target with its engine and resolved connections (which never leave this object in messages).</summary>
public sealed record ResolvedTarget(string Name, TargetOptions Options, IDatabaseEngine Engine, string Connection, string? RestoreTestConnection)
{
    public CompressionKind Compression => Vault.Pipeline.Compression.Parse(Options.Compression) ?? CompressionKind.Brotli;

    /// <summary>host:port/database of the source.</summary>
    public string Description => Engine.Describe(Connection);

    public override string ToString() => $"{Name} ({Description})";
}

/// <summary>
/// What every activity needs: validated options, the vault, the clock and logging. One per host
/// process; activities are plain classes over it, so both hosts run the same code.
/// </summary>
public sealed class BackupRuntime
{
    public BackupRuntime(BackupOptions options, BlobVault vault, TimeProvider time, ILoggerFactory loggers)
    {
        Options = options;
        Vault = vault;
        Time = time;
        Loggers = loggers;
    }

    public BackupOptions Options { get; }
    public BlobVault Vault { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Loggers { get; }

    /// <summary>Builds the runtime from options: a blob container client from the storage connection.</summary>
    public static BackupRuntime Create(BackupOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        var container = CreateContainerClient(options.Storage);
        var vault = new BlobVault(container, options.Storage.Immutability, time, loggers.CreateLogger<BlobVault>());
        return new BackupRuntime(options, vault, time, loggers);
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

    /// <summary>The named target; a configuration error naming the known targets when it does not exist.</summary>
    public ResolvedTarget Resolve(string name)
    {
        if (!Options.Targets.TryGetValue(name, out var target))
        {
            string known = Options.Targets.Count == 0 ? "none" : string.Join(", ", Options.Targets.Keys.Order(StringComparer.Ordinal));
            throw new BackupConfigurationException($"unknown target '{name}' (configured targets: {known})");
        }

        var engine = EngineFor(target.Engine.Trim().ToLowerInvariant(), name);
        return new ResolvedTarget(name, target, engine, target.Connection!, target.RestoreTest?.Connection);
    }

    /// <summary>
    /// The engine that reads a stored backup: the one of its target when that is still configured
    /// (so its ToolsDirectory applies), else the engine named by the manifest.
    /// </summary>
    public IDatabaseEngine EngineFor(string engineName, string targetName)
    {
        Options.Targets.TryGetValue(targetName, out var target);
        return engineName switch
        {
            "postgres" => new PostgresEngine(target?.ToolsDirectory, Time),
            _ => throw new BackupConfigurationException($"backups of engine '{engineName}' cannot be read by this build"),
        };
    }

    /// <summary>Every configured target name, in a stable order.</summary>
    public IReadOnlyList<string> TargetNames => Options.Targets.Keys.Order(StringComparer.Ordinal).ToList();
}
