using System.Text.Json;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Cli;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>Runs backupfn in-process with a config file of its own, capturing exit code, stdout and stderr.</summary>
internal sealed class CliRunner : IAsyncDisposable
{
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"backupfn-it-{Guid.NewGuid():N}.json");

    /// <param name="minRetentionDays">Storage:Immutability:MinRetentionDays; prune tests that must remove fresh backups set 0.</param>
    /// <param name="runningLease">Backup:Storage:RunningLease; tests of a crashed backup lower it to Azure's minimum, 15 s.</param>
    /// <param name="copies">Backup:Copies by name, each a fresh Azurite container (see <see cref="CopyContainers"/>) with the given Retention (null: none).</param>
    /// <param name="copyStorage">The copies' storage connection (another Azurite: another account); the shared Azurite when null.</param>
    public CliRunner(Dictionary<string, object> targets, string? container = null, string immutability = "BestEffort", string? storage = null,
        string runningLease = "00:01:00", string? webhookUrl = null, string? pingUrl = null, object? encryptionKeys = null,
        IReadOnlyDictionary<string, object?>? copies = null, int minRetentionDays = 7, string? copyStorage = null)
    {
        CopyStorage = copyStorage ?? TestServers.Storage;
        Container = container ?? $"it-{Guid.NewGuid():N}";
        var backup = new Dictionary<string, object>
        {
            ["Storage"] = new { Connection = storage ?? TestServers.Storage, Container, Immutability = new { Mode = immutability, MinRetentionDays = minRetentionDays }, RunningLease = runningLease },
            ["Targets"] = targets,
            ["Local"] = new { TaskHub = new { Name = TaskHub, WorkItemTimeout = "00:00:10" } },
        };
        if (copies is not null)
        {
            CopyContainers = copies.Keys.ToDictionary(name => name, _ => $"it-{Guid.NewGuid():N}");
            backup["Copies"] = copies.ToDictionary(c => c.Key, c =>
            {
                var copy = new Dictionary<string, object>
                {
                    ["Connection"] = CopyStorage,
                    ["Container"] = CopyContainers[c.Key],
                    ["Immutability"] = new { Mode = "BestEffort", MinRetentionDays = 0 },
                };
                if (c.Value is { } retention)
                {
                    copy["Retention"] = retention;
                }

                return copy;
            });
        }

        if (encryptionKeys is not null)
        {
            backup["EncryptionKeys"] = encryptionKeys;
        }

        if (webhookUrl is not null || pingUrl is not null)
        {
            var notifications = new Dictionary<string, string>();
            if (webhookUrl is not null)
            {
                notifications["WebhookUrl"] = webhookUrl;
            }

            if (pingUrl is not null)
            {
                notifications["PingUrl"] = pingUrl;
            }

            backup["Notifications"] = notifications;
        }

        File.WriteAllText(_configFile, JsonSerializer.Serialize(new { Backup = backup }));
    }

    public string Container { get; }

    /// <summary>The Azurite container of each copy vault, by copy name; empty without copies.</summary>
    public IReadOnlyDictionary<string, string> CopyContainers { get; } = new Dictionary<string, string>();

    /// <summary>The storage connection of the copy vaults.</summary>
    public string CopyStorage { get; }

    public string ConfigFile => _configFile;

    /// <summary>This runner's own task hub, so parallel tests never run each other's orchestrations.</summary>
    public string TaskHub { get; } = TaskHubs.NewName();

    public static object Postgres(string connection, object? extra = null) => extra ?? new { Engine = "postgres", Connection = connection };

    public async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await BackupCli.RunAsync([.. args, "--config", _configFile], stdout, stderr, interactive: false, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        File.Delete(_configFile);
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, Container);
        await container.DeleteIfExistsAsync();
        foreach (string copy in CopyContainers.Values)
        {
            await new Azure.Storage.Blobs.BlobContainerClient(CopyStorage, copy).DeleteIfExistsAsync();
        }
        await TaskHubs.DeleteAsync(TaskHub);
    }
}
