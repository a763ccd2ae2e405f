using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Configuration;

/// <summary>The "Backup" configuration section, the same in both hosts (README "Configuration").</summary>
public sealed class BackupOptions
{
    public const string SectionName = "Backup";

    public StorageOptions Storage { get; set; } = new();

    /// <summary>Isolated second vaults by name (Backup:Copies:NAME): every verified backup is copied into each.</summary>
    public Dictionary<string, CopyOptions> Copies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Key Vault for ConnectionSecret values; null when connections are given inline.</summary>
    public string? KeyVaultUri { get; set; }

    /// <summary>Six-field NCRONTAB schedule of the timer trigger.</summary>
    public string Schedule { get; set; } = "0 0 2 * * *";

    public int MaxParallelTargets { get; set; } = 4;

    public Dictionary<string, TargetOptions> Targets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Client-side encryption keys by id. Keep old ids after a rotation: old backups name the key they need.</summary>
    public Dictionary<string, EncryptionKeyOptions> EncryptionKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The local host (`backupfn serve`): where it listens and its optional API key.</summary>
    public LocalHostOptions Local { get; set; } = new();

    /// <summary>Where failure, lateness and recovery notifications go; none when unset.</summary>
    public NotificationOptions Notifications { get; set; } = new();
}

/// <summary>A Slack- or Teams-compatible incoming webhook. Its URL is a secret: it is never logged.</summary>
public sealed class NotificationOptions
{
    /// <summary>The webhook URL (local/dev form).</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Name of a Key Vault secret holding the webhook URL, instead of WebhookUrl.</summary>
    public string? WebhookUrlSecret { get; set; }

    /// <summary>
    /// A dead-man's-switch URL (healthchecks.io style): requested after every successful run, and at
    /// PingUrl + "/fail" after a failed one. It may hold a token: it is logged as scheme://host/… only.
    /// </summary>
    public string? PingUrl { get; set; }
}

/// <summary>Settings of `backupfn serve` only (the Azure app uses function keys / Entra ID).</summary>
public sealed class LocalHostOptions
{
    /// <summary>Listen address; loopback by default so nothing outside this machine can reach it.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:7071";

    /// <summary>When set, every request needs it in the x-api-key (or x-functions-key) header.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The Durable Task hub that `serve` and the CLI run orchestrations on.</summary>
    public TaskHubOptions TaskHub { get; set; } = new();
}

/// <summary>
/// The local host's Durable Task hub (DurableTask.Core with the Azure Storage backend, as Durable
/// Functions uses by default): its tables, queues and lease blobs live on their own storage
/// connection, as Durable Functions keeps them in AzureWebJobsStorage apart from the backup account.
/// </summary>
public sealed class TaskHubOptions
{
    /// <summary>Task hub name: 3-45 letters and digits, starting with a letter. Processes sharing it share the work.</summary>
    public string Name { get; set; } = "backupfn";

    /// <summary>Storage connection string or account blob endpoint (managed identity); default: Backup:Storage:Connection.</summary>
    public string? Connection { get; set; }

    /// <summary>Control-queue partitions (1-16): orchestrations spread over this many leases, so more processes can share them.</summary>
    public int Partitions { get; set; } = 1;

    /// <summary>
    /// Activities one process runs at once (dumps, verifies, restore tests). Work beyond it waits in
    /// the hub's work-item queue, where any other process on the hub takes it: the scale-out knob.
    /// </summary>
    public int MaxActivities { get; set; } = 4;

    /// <summary>How long an activity whose process died stays invisible before another process runs it again.</summary>
    public TimeSpan WorkItemTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Finished orchestration instances older than this are purged from the hub (run reports stay in the vault).</summary>
    public TimeSpan KeepHistory { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>Where backups are stored.</summary>
public sealed class StorageOptions
{
    /// <summary>A storage connection string, "UseDevelopmentStorage=true" (Azurite), or a blob endpoint URL for managed identity.</summary>
    public string Connection { get; set; } = "UseDevelopmentStorage=true";

    public string Container { get; set; } = "backups";

    public ImmutabilityOptions Immutability { get; set; } = new();

    /// <summary>
    /// The lease on a running backup's marker (15-60 s): how soon after a crash prune stops seeing
    /// the backup as running. Renewed every third of it while the backup runs.
    /// </summary>
    public TimeSpan RunningLease { get; set; } = RunningMarker.MaxLease;
}

/// <summary>
/// A copy vault: another container, ideally in another account and region, that receives each backup after it
/// verifies (create-only, its own immutability). Restore falls back to it when the primary's data blob is missing or corrupt.
/// </summary>
public sealed class CopyOptions
{
    /// <summary>A storage connection string, "UseDevelopmentStorage=true" (Azurite), or a blob endpoint URL for managed identity.</summary>
    public string Connection { get; set; } = "";

    public string Container { get; set; } = "backups";

    public ImmutabilityOptions Immutability { get; set; } = new();

    /// <summary>How many backups this copy keeps (it may keep longer than the primary); the target's own policy when unset.</summary>
    public RetentionOptions? Retention { get; set; }
}

/// <summary>One database to back up.</summary>
public sealed class TargetOptions
{
    /// <summary>postgres, redis, neo4j, qdrant, sqlite or files.</summary>
    public string Engine { get; set; } = "";

    /// <summary>The engine's connection string (local/dev form). Never together with ConnectionSecret.</summary>
    public string? Connection { get; set; }

    /// <summary>Name of a Key Vault secret holding the connection string.</summary>
    public string? ConnectionSecret { get; set; }

    /// <summary>Database name, for engines whose connection does not carry one (Neo4j).</summary>
    public string? Database { get; set; }

    /// <summary>Qdrant only: the API key sent in the api-key header (local/dev form). Never together with ApiKeySecret.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Qdrant only: name of a Key Vault secret holding the API key.</summary>
    public string? ApiKeySecret { get; set; }

    /// <summary>Qdrant only: the collections to back up; every collection when unset.</summary>
    public List<string>? Collections { get; set; }

    /// <summary>Redis only: auto (default: replication, falling back to keyspace), replication or keyspace.</summary>
    public string? Strategy { get; set; }

    /// <summary>zstd (default: level 1 on up to 4 threads, fastest measured), brotli (quality 1), gzip or none.</summary>
    public string Compression { get; set; } = "zstd";

    /// <summary>Six-field NCRONTAB schedule for this target; Backup:Schedule when unset.</summary>
    public string? Schedule { get; set; }

    /// <summary>Folder of the engine's command-line tools (pg_dump, pg_restore); PATH when unset.</summary>
    public string? ToolsDirectory { get; set; }

    /// <summary>SQLite only: folder of the temporary database copies (backup, verify, restore test); the system temp directory when unset.</summary>
    public string? TempDirectory { get; set; }

    /// <summary>Server on which restore tests create their scratch database.</summary>
    public RestoreTestOptions? RestoreTest { get; set; }

    /// <summary>Files only: glob patterns (relative to the directory) of what to back up; everything when unset.</summary>
    public List<string>? Include { get; set; }

    /// <summary>Files only: glob patterns of what to leave out; an excluded directory is skipped whole.</summary>
    public List<string>? Exclude { get; set; }

    /// <summary>Files only: a /bin/sh command run before the dump (e.g. to pause the writer); its failure fails the backup.</summary>
    public string? PreCommand { get; set; }

    /// <summary>Files only: a /bin/sh command run after the dump on every path (e.g. to resume the writer).</summary>
    public string? PostCommand { get; set; }

    /// <summary>Files only: how long PreCommand and PostCommand may each run before they are killed (default 5 minutes).</summary>
    public TimeSpan? CommandTimeout { get; set; }

    /// <summary>Null when the target has no Retention section: the defaults of <see cref="RetentionOptions"/> apply, and backup and prune say so.</summary>
    public RetentionOptions? Retention { get; set; }

    /// <summary>Client-side encryption of this target's backups; null for none.</summary>
    public TargetEncryptionOptions? Encryption { get; set; }

    /// <summary>Recovery point and time objectives that health, status and the reports measure; null for none.</summary>
    public RecoveryObjectiveOptions? Objectives { get; set; }

    /// <summary>The anomaly guard (on by default): a backup whose size or counts moved too far is suspect and freezes pruning.</summary>
    public AnomalyOptions Anomaly { get; set; } = new();
}

/// <summary>
/// When a backup is suspect: its raw size or a count shrank more than MaxShrinkPercent or grew more than
/// MaxGrowPercent against the median of the last Window good backups (Vault/Anomalies/README.md).
/// </summary>
public sealed class AnomalyOptions
{
    public bool Enabled { get; set; } = true;

    public double MaxShrinkPercent { get; set; } = 50;

    public double MaxGrowPercent { get; set; } = 300;

    public int Window { get; set; } = 5;
}

/// <summary>
/// A target's recovery objectives: <see cref="Rpo"/>, the most data (as time) it may lose, and
/// <see cref="Rto"/>, the longest a restore may take. Either may be unset.
/// </summary>
public sealed class RecoveryObjectiveOptions
{
    public TimeSpan? Rpo { get; set; }

    public TimeSpan? Rto { get; set; }
}

/// <summary>Which key encrypts a target's new backups (an id in Backup:EncryptionKeys).</summary>
public sealed class TargetEncryptionOptions
{
    public string KeyId { get; set; } = "";
}

/// <summary>
/// One encryption key id. Symmetric: a 256-bit key (base64) from a local file or a Key Vault secret. Envelope
/// (each backup gets a fresh data key, stored only wrapped): an RSA key pair as PEM files, where a host that backs
/// up needs only the public key and a host that restores the private one; or a Key Vault RSA key, wrapped here
/// with its public key and unwrapped by Key Vault.
/// </summary>
public sealed class EncryptionKeyOptions
{
    public string? KeyFile { get; set; }

    public string? KeySecret { get; set; }

    /// <summary>PEM file of an RSA public key (3072 bits or more): backs up and verifies stored bytes, cannot read backups.</summary>
    public string? PublicKeyFile { get; set; }

    /// <summary>PEM file of the RSA private key: unwraps data keys (restore, restore test, full verify).</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>https://VAULT.vault.azure.net/keys/NAME[/VERSION]: an RSA key in Key Vault (wrapKey is local; unwrapKey needs the Key Vault permission).</summary>
    public string? KeyVaultKey { get; set; }

    /// <summary>True for the RSA envelope kinds, whose backups record a wrapped data key.</summary>
    public bool IsEnvelope => PublicKeyFile is not null || PrivateKeyFile is not null || KeyVaultKey is not null;
}

/// <summary>The scratch server of restore tests.</summary>
public sealed class RestoreTestOptions
{
    /// <summary>
    /// False for a target whose backups this host cannot read (e.g. envelope-encrypted with only the public key here):
    /// no restore test runs, and status shows "restore test disabled" as a warning, never as ok.
    /// </summary>
    public bool Enabled { get; set; } = true;

    public string? Connection { get; set; }

    public string? ConnectionSecret { get; set; }
}

/// <summary>How many backups to keep (used by prune).</summary>
public sealed class RetentionOptions
{
    public int KeepLast { get; set; } = 3;
    public int KeepDaily { get; set; } = 7;
    public int KeepWeekly { get; set; } = 4;
    public int KeepMonthly { get; set; } = 12;
    public int KeepYearly { get; set; }

    /// <summary>IANA or Windows time zone id for calendar buckets; UTC when unset.</summary>
    public string? TimeZone { get; set; }
}
