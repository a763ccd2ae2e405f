using BackupFunctions.Activities.Backups;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Files;
using BackupFunctions.Engines.Neo4j;
using BackupFunctions.Engines.Postgres;
using BackupFunctions.Engines.Qdrant;
using BackupFunctions.Engines.Redis;
using BackupFunctions.Engines.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// The configured targets: each by name with its engine and connections (resolved from Key Vault
/// when given as secrets), the engine that reads a stored backup, and the encryption keys.
/// </summary>
public sealed class Targets(BackupOptions options, SecretResolver? secrets, TimeProvider time, ILoggerFactory? loggers = null)
{
    /// <summary>Restore destinations given as a connection on the command line: this process only, never scheduled or listed as targets.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TargetOptions> _destinations = new(StringComparer.Ordinal);

    /// <summary>Client-side encryption keys by id.</summary>
    public EncryptionKeys Keys => new(options, secrets);

    /// <summary>
    /// The named target with its connections resolved, reading ConnectionSecret values from Key
    /// Vault (cached briefly). Use this wherever a connection is opened.
    /// </summary>
    public async Task<ResolvedTarget> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        var target = Resolve(name);
        var o = target.Options;
        string connection = o.Connection ?? await SecretAsync(o.ConnectionSecret!, $"Backup:Targets:{name}:ConnectionSecret", cancellationToken);
        string? restoreTest = o.RestoreTest is null or { Connection: null, ConnectionSecret: null } ? null
            : o.RestoreTest.Connection ?? await SecretAsync(o.RestoreTest.ConnectionSecret!, $"Backup:Targets:{name}:RestoreTest:ConnectionSecret", cancellationToken);
        return target with { Connection = connection, RestoreTestConnection = restoreTest };
    }

    /// <summary>A Qdrant target's API key: ApiKey, else ApiKeySecret read from Key Vault (cached briefly), else none.</summary>
    private async Task<string?> ApiKeyAsync(TargetOptions target, string name, CancellationToken cancellationToken) =>
        target.ApiKey ?? (target.ApiKeySecret is null ? null : await SecretAsync(target.ApiKeySecret, $"Backup:Targets:{name}:ApiKeySecret", cancellationToken));

    private Task<string> SecretAsync(string secretName, string key, CancellationToken cancellationToken) =>
        secrets?.GetAsync(secretName, key, cancellationToken)
        ?? throw new BackupConfigurationException($"{key} needs Backup:KeyVaultUri");

    /// <summary>
    /// The named target for checks that open no connection (its Connection is empty when it comes
    /// from a secret: use <see cref="ResolveAsync"/> to connect). A configuration error naming the
    /// known targets when it does not exist.
    /// </summary>
    public ResolvedTarget Resolve(string name)
    {
        if (!options.Targets.TryGetValue(name, out var target) && !_destinations.TryGetValue(name, out target))
        {
            string known = options.Targets.Count == 0 ? "none" : string.Join(", ", options.Targets.Keys.Order(StringComparer.Ordinal));
            throw new BackupConfigurationException($"unknown target '{name}' (configured targets: {known})");
        }

        var engine = EngineFor(target.Engine.Trim().ToLowerInvariant(), name);
        return new ResolvedTarget(name, target, engine, target.Connection ?? "", target.RestoreTest?.Connection);
    }

    /// <summary>
    /// The engine that reads a stored backup: the one of its target when that is still configured
    /// (so its ToolsDirectory or TempDirectory applies), else the engine named by the manifest.
    /// </summary>
    public IDatabaseEngine EngineFor(string engineName, string targetName)
    {
        if (!options.Targets.TryGetValue(targetName, out var target))
        {
            _destinations.TryGetValue(targetName, out target);
        }

        return engineName switch
        {
            "postgres" => new PostgresEngine(target?.ToolsDirectory, time),
            "redis" => new RedisEngine(target?.Strategy, time),
            "neo4j" => new Neo4jEngine(target?.Database),
            "qdrant" => new QdrantEngine(target?.Collections, target is null ? null : ct => ApiKeyAsync(target, targetName, ct)),
            "sqlite" => new SqliteEngine(target?.TempDirectory),
            FileTargetRules.Engine => new FilesEngine(FileSettings(target), (loggers ?? NullLoggerFactory.Instance).CreateLogger<FilesEngine>()),
            _ => throw new BackupConfigurationException($"backups of engine '{engineName}' cannot be read by this build"),
        };
    }

    /// <summary>A files target's selection and commands; everything and none when the target is gone (reading a stored backup needs neither).</summary>
    public static FileSetSettings FileSettings(TargetOptions? target) => target is null ? FileSetSettings.Everything
        : new FileSetSettings(target.Include ?? [], target.Exclude ?? [], Blank(target.PreCommand), Blank(target.PostCommand),
            target.CommandTimeout ?? FileSetSettings.DefaultCommandTimeout);

    private static string? Blank(string? command) => string.IsNullOrWhiteSpace(command) ? null : command;

    /// <summary>
    /// Registers a restore destination given as a connection (<c>restore --to-connection</c>) for this process only,
    /// as target <paramref name="name"/>: activities running here resolve it like a configured one, while its
    /// connection stays in memory (never in an orchestration input, a record or a message). Not in <see cref="Names"/>.
    /// </summary>
    public void AddDestination(string name, TargetOptions target)
    {
        if (options.Targets.ContainsKey(name))
        {
            throw new BackupConfigurationException($"--to-connection names the same place as configured target '{name}' (use --to {name})");
        }

        _destinations[name] = target;
    }

    /// <summary>True for a configured target (false for a destination added by <see cref="AddDestination"/>).</summary>
    public bool IsConfigured(string name) => options.Targets.ContainsKey(name);

    /// <summary>Every configured target name, in a stable order.</summary>
    public IReadOnlyList<string> Names => options.Targets.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The cron schedule of a configured target: its own, else Backup:Schedule.</summary>
    public string ScheduleOf(string name) => options.Targets[name].Schedule ?? options.Schedule;

    /// <summary>
    /// A restore destination given as a Key Vault secret holding its connection string (a queued
    /// restore request's destinationSecret), read by <paramref name="engineName"/>'s engine; named
    /// <paramref name="name"/> in records. Needs Backup:KeyVaultUri.
    /// </summary>
    public async Task<Backups.ResolvedTarget> ResolveSecretDestinationAsync(string secretName, string name, string engineName, CancellationToken cancellationToken)
    {
        string connection = await (secrets?.GetAsync(secretName, "restore request 'destinationSecret'", cancellationToken)
            ?? throw new BackupConfigurationException($"restore request 'destinationSecret' '{secretName}' needs Backup:KeyVaultUri on the host that restores (set it, or name a configured target in 'destination')"));
        return new Backups.ResolvedTarget(name, new TargetOptions { Engine = engineName }, EngineFor(engineName, name), connection, null);
    }

    /// <summary>True when the target's RestoreTest:Enabled is false: health shows it as a warning, never ok.</summary>
    public bool RestoreTestDisabled(string name) => options.Targets[name].RestoreTest is { Enabled: false };

    /// <summary>The target's recovery objectives; null when it has none.</summary>
    public RecoveryObjectiveOptions? ObjectivesOf(string name) =>
        options.Targets[name].Objectives is { } o && (o.Rpo is not null || o.Rto is not null) ? o : null;
}
