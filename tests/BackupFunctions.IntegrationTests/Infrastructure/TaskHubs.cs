using DurableTask.AzureStorage;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>Durable Task hubs on Azurite, one per test.</summary>
internal static class TaskHubs
{
    public static string NewName() => "it" + Guid.NewGuid().ToString("N")[..16];

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
