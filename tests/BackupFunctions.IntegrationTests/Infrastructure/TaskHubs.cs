using BackupFunctions.Activities.Configuration;
using BackupFunctions.Local.Engine;
using DurableTask.AzureStorage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>Durable Task hubs on Azurite, one per test.</summary>
internal static class TaskHubs
{
    public static string NewName() => "it" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>A client of the hub that runs nothing: it reads instances (what a test checks after a fault) and starts them.</summary>
    public static Task<DurableEngine> ReaderAsync(string name, string? storage = null)
    {
        var options = new BackupOptions { Storage = new StorageOptions { Connection = storage ?? TestServers.Storage } };
        options.Local.TaskHub.Name = name;
        return DurableEngine.StartAsync(options, new TaskRegistrations(new Dictionary<string, Func<ITaskOrchestrator>>(), new Dictionary<string, Func<ITaskActivity>>()),
            NullLoggerFactory.Instance, worker: false);
    }

    /// <summary>Deletes the hub's tables, queues and lease blobs (nothing when it was never created).</summary>
    public static async Task DeleteAsync(string name)
    {
        using var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = name,
            StorageAccountClientProvider = new StorageAccountClientProvider(TestServers.Storage),
        });
        await service.DeleteAsync();
    }
}
