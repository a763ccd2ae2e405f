using System.Text.Json;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Configuration;

namespace BackupFunctions.Activities.Configuration;

/// <summary>Binds and validates the "Backup" section; every error names the key to fix.</summary>
public static class BackupConfiguration
{
    /// <summary>Engines this build can back up.</summary>
    public static IReadOnlyList<string> SupportedEngines { get; } = ["postgres", "redis", "neo4j", "qdrant", "sqlite", FileTargetRules.Engine];

    /// <summary>
    /// Binds <see cref="BackupOptions"/> and validates it; throws <see cref="BackupConfigurationException"/>
    /// listing every problem, unknown keys under "Backup" included.
    /// </summary>
    public static BackupOptions Bind(IConfiguration configuration)
    {
        var options = new BackupOptions();
        var section = configuration.GetSection(BackupOptions.SectionName);
        // Keys outside "Backup" belong to the host (AzureWebJobsStorage, BackupQueue, ...): not ours to judge.
        var problems = UnknownSettings.Find(section, typeof(BackupOptions)).ToList();
        try
        {
            section.Bind(options, o => o.ErrorOnUnknownConfiguration = false);
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the value's type, never the value itself.
            problems.Add($"configuration: {e.Message}");
            throw new BackupConfigurationException(string.Join("; ", problems), e);
        }

        problems.AddRange(Validate(options));
        if (problems.Count > 0)
        {
            throw new BackupConfigurationException(problems.Count == 1 ? problems[0] : string.Join("; ", problems));
        }

        return options;
    }

    /// <summary>Loads a JSON file (when given) then environment variables (which win), and binds.</summary>
    public static BackupOptions Load(string? file)
    {
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            string full = Path.GetFullPath(file);
            if (!File.Exists(full))
            {
                throw new BackupConfigurationException($"config file '{file}' not found (pass an existing file to --config)");
            }

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables();
        try
        {
            return Bind(builder.Build());
        }
        catch (InvalidDataException e)
        {
            var json = e.InnerException?.InnerException as JsonException ?? e.InnerException as JsonException;
            string where = json?.LineNumber is long line ? $" at line {line + 1}" : "";
            string reason = json?.Message.Split(" LineNumber:")[0] ?? e.InnerException?.Message ?? e.Message;
            throw new BackupConfigurationException($"config file '{file}' is not valid JSON{where}: {reason}", e);
        }
    }

    /// <summary>Every problem found, each naming its key; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(BackupOptions options)
    {
        var problems = new List<string>();
        const string b = "Backup";
        if (string.IsNullOrWhiteSpace(options.Storage.Connection))
        {
            problems.Add($"{b}:Storage:Connection is empty (use UseDevelopmentStorage=true for Azurite, or the account's blob endpoint URL)");
        }

        if (!IsValidContainerName(options.Storage.Container))
        {
            problems.Add($"{b}:Storage:Container '{options.Storage.Container}' is not a valid container name (3-63 lower-case letters, digits and single hyphens)");
        }

        if (options.Storage.Immutability.MinRetentionDays < 0)
        {
            problems.Add($"{b}:Storage:Immutability:MinRetentionDays must be 0 or more");
        }

        if (options.Storage.RunningLease < RunningMarker.MinLease || options.Storage.RunningLease > RunningMarker.MaxLease)
        {
            problems.Add($"{b}:Storage:RunningLease must be between 00:00:15 and 00:01:00 (Azure's bounds for a blob lease), not {options.Storage.RunningLease}");
        }

        CopyVaults.Validate(problems, options);

        if (Schedules.Problem(options.Schedule) is { } scheduleProblem)
        {
            problems.Add($"{b}:Schedule {scheduleProblem}");
        }

        if (!Uri.TryCreate(options.Local.Urls, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
        {
            problems.Add($"{b}:Local:Urls '{options.Local.Urls}' is not an http(s) URL (e.g. http://127.0.0.1:7071)");
        }

        var hub = options.Local.TaskHub;
        if (!System.Text.RegularExpressions.Regex.IsMatch(hub.Name ?? "", "^[A-Za-z][A-Za-z0-9]{2,44}$"))
        {
            problems.Add($"{b}:Local:TaskHub:Name '{hub.Name}' is not a task hub name (3-45 letters and digits, starting with a letter)");
        }

        if (hub.Partitions is < 1 or > 16)
        {
            problems.Add($"{b}:Local:TaskHub:Partitions {hub.Partitions} is out of range (1-16)");
        }

        if (hub.MaxActivities is < 1 or > 64)
        {
            problems.Add($"{b}:Local:TaskHub:MaxActivities {hub.MaxActivities} is out of range (1-64)");
        }

        if (hub.WorkItemTimeout < TimeSpan.FromSeconds(10))
        {
            problems.Add($"{b}:Local:TaskHub:WorkItemTimeout {hub.WorkItemTimeout} is too short (at least 00:00:10)");
        }

        if (options.KeyVaultUri is not null && (!Uri.TryCreate(options.KeyVaultUri, UriKind.Absolute, out var vault) || vault.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{b}:KeyVaultUri '{options.KeyVaultUri}' is not an https URL (e.g. https://my-vault.vault.azure.net/)");
        }

        foreach (var (id, key) in options.EncryptionKeys)
        {
            string at = $"{b}:EncryptionKeys:{id}";
            int kinds = new[] { key.KeyFile, key.KeySecret, key.PublicKeyFile ?? key.PrivateKeyFile, key.KeyVaultKey }.Count(v => v is not null);
            if (kinds != 1)
            {
                problems.Add($"{at}: set exactly one of KeyFile, KeySecret, PublicKeyFile (with PrivateKeyFile where backups are read) or KeyVaultKey");
            }
            else if (key.KeySecret is not null && options.KeyVaultUri is null)
            {
                problems.Add($"{at}:KeySecret needs Backup:KeyVaultUri");
            }
            else if (key.KeyVaultKey is not null && !EnvelopeKeys.IsKeyVaultKeyUri(key.KeyVaultKey))
            {
                problems.Add($"{at}:KeyVaultKey '{key.KeyVaultKey}' is not a Key Vault key URL (https://VAULT.vault.azure.net/keys/NAME)");
            }
        }

        var n = options.Notifications;
        if (n.WebhookUrl is not null && n.WebhookUrlSecret is not null)
        {
            problems.Add($"{b}:Notifications: set WebhookUrl or WebhookUrlSecret, not both");
        }
        else if (n.WebhookUrl is not null && (!Uri.TryCreate(n.WebhookUrl, UriKind.Absolute, out var hook) || (hook.Scheme != Uri.UriSchemeHttps && hook.Scheme != Uri.UriSchemeHttp)))
        {
            problems.Add($"{b}:Notifications:WebhookUrl is not an http(s) URL (use the incoming-webhook URL Slack or Teams gave you)");
        }
        else if (n.WebhookUrlSecret is not null && options.KeyVaultUri is null)
        {
            problems.Add($"{b}:Notifications:WebhookUrlSecret needs Backup:KeyVaultUri");
        }

        if (n.PingUrl is not null && (!Uri.TryCreate(n.PingUrl, UriKind.Absolute, out var ping) || (ping.Scheme != Uri.UriSchemeHttps && ping.Scheme != Uri.UriSchemeHttp)))
        {
            problems.Add($"{b}:Notifications:PingUrl is not an http(s) URL (use the check's ping URL, e.g. https://hc-ping.com/UUID)");
        }

        if (options.MaxParallelTargets < 1)
        {
            problems.Add($"{b}:MaxParallelTargets must be at least 1");
        }

        if (options.Targets.Count == 0)
        {
            problems.Add($"{b}:Targets is empty (configure at least one target, e.g. {b}:Targets:orders:Engine=postgres, in the --config file or as Backup__Targets__orders__Engine)");
        }

        foreach (var (name, target) in options.Targets)
        {
            string key = $"{b}:Targets:{name}";
            if (!BackupId.IsValidTargetName(name))
            {
                problems.Add($"{key}: target name '{name}' is invalid (use 1-63 lower-case letters, digits and inner hyphens)");
            }

            if (string.IsNullOrWhiteSpace(target.Engine))
            {
                problems.Add($"{key}:Engine is missing (one of: {string.Join(", ", SupportedEngines)})");
            }
            else if (!SupportedEngines.Contains(target.Engine.Trim().ToLowerInvariant()))
            {
                problems.Add($"{key}:Engine '{target.Engine}' is not supported by this build (one of: {string.Join(", ", SupportedEngines)})");
            }

            CheckConnection(problems, $"{key}", target.Connection, target.ConnectionSecret, options.KeyVaultUri, required: true);
            if (target.RestoreTest is { Enabled: true })
            {
                CheckConnection(problems, $"{key}:RestoreTest", target.RestoreTest.Connection, target.RestoreTest.ConnectionSecret, options.KeyVaultUri, required: true);
            }

            if (target.Encryption is { } enc && !options.EncryptionKeys.ContainsKey(enc.KeyId))
            {
                problems.Add($"{key}:Encryption:KeyId '{enc.KeyId}' is not in Backup:EncryptionKeys (add it, e.g. Backup:EncryptionKeys:{enc.KeyId}:KeyFile)");
            }

            if (target.Schedule is not null && Schedules.Problem(target.Schedule) is { } targetSchedule)
            {
                problems.Add($"{key}:Schedule {targetSchedule}");
            }

            CheckQdrant(problems, key, target, options.KeyVaultUri);
            if (target.Strategy is not null && !Engines.Redis.RedisEngine.Strategies.Contains(target.Strategy.Trim().ToLowerInvariant()))
            {
                problems.Add($"{key}:Strategy '{target.Strategy}' is unknown (use {string.Join(", ", Engines.Redis.RedisEngine.Strategies)}; Redis targets only)");
            }

            CheckSqlite(problems, key, target);
            problems.AddRange(FileTargetRules.Problems(key, target));
            if (Compression.Parse(target.Compression) is null)
            {
                problems.Add($"{key}:Compression '{target.Compression}' is unknown (use zstd, brotli, gzip or none)");
            }

            foreach (var (objective, value) in new[] { ("Rpo", target.Objectives?.Rpo), ("Rto", target.Objectives?.Rto) })
            {
                if (value is { } v && v <= TimeSpan.Zero)
                {
                    problems.Add($"{key}:Objectives:{objective} must be a positive duration such as 01:00:00, not {v}");
                }
            }

            CheckRetention(problems, key, target.Retention ?? new RetentionOptions());
            CheckAnomaly(problems, key, target.Anomaly);
        }

        return problems;
    }

    /// <summary>Anomaly thresholds: a shrink percent in (0, 100), a growth percent above 0, a window of 1 to 50 backups.</summary>
    private static void CheckAnomaly(List<string> problems, string key, AnomalyOptions a)
    {
        if (!(a.MaxShrinkPercent > 0 && a.MaxShrinkPercent < 100))
        {
            problems.Add($"{key}:Anomaly:MaxShrinkPercent must be above 0 and below 100 (default 50; set Anomaly:Enabled false to turn the guard off)");
        }

        if (!(a.MaxGrowPercent > 0))
        {
            problems.Add($"{key}:Anomaly:MaxGrowPercent must be above 0 (default 300; set Anomaly:Enabled false to turn the guard off)");
        }

        if (a.Window is < 1 or > 50)
        {
            problems.Add($"{key}:Anomaly:Window must be 1 to 50 backups (default 5)");
        }
    }

    /// <summary>Keep* values and the time zone of a Retention section at <paramref name="key"/>.</summary>
    internal static void CheckRetention(List<string> problems, string key, RetentionOptions r)
    {
        if (r.KeepLast < 0 || r.KeepDaily < 0 || r.KeepWeekly < 0 || r.KeepMonthly < 0 || r.KeepYearly < 0)
        {
            problems.Add($"{key}:Retention: Keep* values must be 0 or more");
        }

        if (r.TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out _))
        {
            problems.Add($"{key}:Retention:TimeZone '{r.TimeZone}' is not a known time zone (use an IANA id such as Europe/Berlin, or leave it unset for UTC)");
        }
    }

    /// <summary>A SQLite target: a usable connection string, no RestoreTest, an existing TempDirectory; TempDirectory only on SQLite targets.</summary>
    private static void CheckSqlite(List<string> problems, string key, TargetOptions target)
    {
        if (!string.Equals(target.Engine?.Trim(), "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            if (target.TempDirectory is not null)
            {
                problems.Add($"{key}:TempDirectory is a SQLite setting (remove it, or set Engine to sqlite)");
            }

            return;
        }

        if (!string.IsNullOrWhiteSpace(target.Connection) && Engines.Sqlite.SqliteFile.Problem(target.Connection) is { } problem)
        {
            problems.Add($"{key}:Connection: {problem}");
        }

        if (target.RestoreTest is { } restoreTest && (restoreTest.Connection is not null || restoreTest.ConnectionSecret is not null))
        {
            problems.Add($"{key}:RestoreTest is not used by sqlite targets: a restore test restores into a scratch file under TempDirectory (remove its Connection; RestoreTest:Enabled false is allowed)");
        }

        if (!string.IsNullOrWhiteSpace(target.TempDirectory) && !Directory.Exists(target.TempDirectory))
        {
            problems.Add($"{key}:TempDirectory '{target.TempDirectory}' does not exist (create it, or leave it unset for the system temp directory)");
        }
    }

    private static void CheckConnection(List<string> problems, string key, string? connection, string? secret, string? keyVaultUri, bool required)
    {
        bool hasConnection = !string.IsNullOrWhiteSpace(connection);
        bool hasSecret = !string.IsNullOrWhiteSpace(secret);
        if (hasConnection && hasSecret)
        {
            problems.Add($"{key}: set Connection or ConnectionSecret, not both");
        }
        else if (hasSecret)
        {
            if (keyVaultUri is null)
            {
                problems.Add($"{key}:ConnectionSecret needs Backup:KeyVaultUri (set it, or give Connection instead)");
            }
        }
        else if (!hasConnection && required)
        {
            problems.Add($"{key}:Connection is missing (or set ConnectionSecret with Backup:KeyVaultUri)");
        }
    }

    /// <summary>A Qdrant target: an http(s) URL (its RestoreTest too), ApiKey or ApiKeySecret, named Collections; those keys only on Qdrant targets.</summary>
    private static void CheckQdrant(List<string> problems, string key, TargetOptions target, string? keyVaultUri)
    {
        bool qdrant = string.Equals(target.Engine?.Trim(), "qdrant", StringComparison.OrdinalIgnoreCase);
        if (!qdrant)
        {
            foreach (var (setting, value) in new (string, object?)[] { ("ApiKey", target.ApiKey), ("ApiKeySecret", target.ApiKeySecret), ("Collections", target.Collections) })
            {
                if (value is not null)
                {
                    problems.Add($"{key}:{setting} is a Qdrant setting (remove it, or set Engine to qdrant)");
                }
            }

            return;
        }

        foreach (var (where, connection) in new[] { (key, target.Connection), ($"{key}:RestoreTest", target.RestoreTest?.Connection) })
        {
            if (!string.IsNullOrWhiteSpace(connection) && Engines.Qdrant.QdrantConnection.Problem(connection) is { } problem)
            {
                problems.Add($"{where}:Connection: {problem}");
            }
        }

        if (target.ApiKey is not null && target.ApiKeySecret is not null)
        {
            problems.Add($"{key}: set ApiKey or ApiKeySecret, not both");
        }
        else if (target.ApiKeySecret is not null && keyVaultUri is null)
        {
            problems.Add($"{key}:ApiKeySecret needs Backup:KeyVaultUri (set it, or give ApiKey instead)");
        }

        if (target.Collections is { } collections && collections.Any(c => string.IsNullOrWhiteSpace(c) || c.Contains('/', StringComparison.Ordinal)))
        {
            problems.Add($"{key}:Collections has an empty name or one with '/' (list Qdrant collection names, or leave it unset for all)");
        }
    }

    internal static bool IsValidContainerName(string? name) =>
        name is { Length: >= 3 and <= 63 } &&
        name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') &&
        name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);
}
