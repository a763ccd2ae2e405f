using Azure.Identity;
using Azure.Storage.Queues;
using BackupFunctions.Activities.Configuration;

namespace BackupFunctions.Activities.Restores;

/// <summary>The restore-request queues, on the backup storage account in both hosts.</summary>
public static class RestoreQueues
{
    public const string QueueName = "restore-requests";
    public const string PoisonQueueName = QueueName + "-poison";

    /// <summary>Where messages of <paramref name="queueName"/> that cannot succeed go, named as the Functions host names it.</summary>
    public static string PoisonOf(string queueName) => queueName + "-poison";

    /// <summary>
    /// A queue on the storage account of Backup:Storage:Connection, messages as raw text (the
    /// listener decodes per host.json). An https blob endpoint maps to its queue endpoint with
    /// DefaultAzureCredential.
    /// </summary>
    public static QueueClient For(StorageOptions storage, string name)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        string connection = storage.Connection;
        if (Uri.TryCreate(connection, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
        {
            var queueUri = new Uri(uri.GetLeftPart(UriPartial.Authority).Replace(".blob.", ".queue.", StringComparison.Ordinal) + "/" + name);
            return new QueueClient(queueUri, new DefaultAzureCredential(), options);
        }

        return new QueueClient(connection, name, options);
    }

    /// <summary>Messages waiting in the poison queue (0 when it does not exist yet); recorded as a metric for the alert rule.</summary>
    public static async Task<int> CountPoisonAsync(StorageOptions storage, CancellationToken cancellationToken)
    {
        var queue = For(storage, PoisonQueueName);
        if (!(await queue.ExistsAsync(cancellationToken)).Value)
        {
            return 0;
        }

        int count = (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        Telemetry.BackupTelemetry.PoisonMessages(count);
        return count;
    }
}
