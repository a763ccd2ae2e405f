using Azure.Identity;
using Azure.Storage.Blobs;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Neo4j;
using BackupFunctions.Engines.Postgres;
using BackupFunctions.Engines.Redis;
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
    public BackupRuntime(BackupOptions options, BlobVault vault, TimeProvider time, ILoggerFactory loggers, SecretResolver? secrets = null)
    {
        Secrets = secrets;
        Options = options;
        Vault = vault;
        Time = time;
        Loggers = loggers;
    }

    public BackupOptions Options { get; }
    public BlobVault Vault { get; }
    public TimeProvider Time { get; }
    public ILoggerFactory Loggers { get; }

    /// <summary>Key Vault secrets for ConnectionSecret; null when Backup:KeyVaultUri is not set.</summary>
    public SecretResolver? Secrets { get; }

    /// <summary>Client-side encryption keys by id.</summary>
    public EncryptionKeys Keys => new(Options, Secrets);

    /// <summary>Builds the runtime from options: a blob container client from the storage connection.</summary>
    public static BackupRuntime Create(BackupOptions options, TimeProvider time, ILoggerFactory loggers, SecretResolver? secrets = null)
    {
        var container = CreateContainerClient(options.Storage);
        var vault = new BlobVault(container, options.Storage.Immutability, time, loggers.CreateLogger<BlobVault>());
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

    /// <summary>
    /// The named target with its connections resolved, reading ConnectionSecret values from Key
    /// Vault (cached briefly). Use this wherever a connection is opened.
    /// </summary>
    public async Task<ResolvedTarget> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        var target = Resolve(name);
        var o = target.Options;
        string connection = o.Connection ?? await SecretAsync(o.ConnectionSecret!, $"Backup:Targets:{name}:ConnectionSecret", cancellationToken);
        string? restoreTest = o.RestoreTest is null ? null
            : o.RestoreTest.Connection ?? await SecretAsync(o.RestoreTest.ConnectionSecret!, $"Backup:Targets:{name}:RestoreTest:ConnectionSecret", cancellationToken);
        return target with { Connection = connection, RestoreTestConnection = restoreTest };
    }

    private Task<string> SecretAsync(string secretName, string key, CancellationToken cancellationToken) =>
        Secrets?.GetAsync(secretName, key, cancellationToken)
        ?? throw new BackupConfigurationException($"{key} needs Backup:KeyVaultUri");

    /// <summary>
    /// The named target for checks that open no connection (its Connection is empty when it comes
    /// from a secret: use <see cref="ResolveAsync"/> to connect). A configuration error naming the
    /// known targets when it does not exist.
    /// </summary>
    public ResolvedTarget Resolve(string name)
    {
        if (!Options.Targets.TryGetValue(name, out var target))
        {
            string known = Options.Targets.Count == 0 ? "none" : string.Join(", ", Options.Targets.Keys.Order(StringComparer.Ordinal));
            throw new BackupConfigurationException($"unknown target '{name}' (configured targets: {known})");
        }

        var engine = EngineFor(target.Engine.Trim().ToLowerInvariant(), name);
        return new ResolvedTarget(name, target, engine, target.Connection ?? "", target.RestoreTest?.Connection);
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
            "redis" => new RedisEngine(target?.Strategy, Time),
            "neo4j" => new Neo4jEngine(target?.Database),
            _ => throw new BackupConfigurationException($"backups of engine '{engineName}' cannot be read by this build"),
        };
    }

    /// <summary>Every configured target name, in a stable order.</summary>
    public IReadOnlyList<string> TargetNames => Options.Targets.Keys.Order(StringComparer.Ordinal).ToList();
}
