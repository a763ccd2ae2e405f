using Azure.Core;
using Azure.Core.Pipeline;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>The system clock moved by a fixed amount: "three days later" without waiting.</summary>
internal sealed class ShiftedTime(TimeSpan shift) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
}

/// <summary>Records every request the Azure SDK sends (method, URI, headers), to test what we ask of the service.</summary>
internal sealed class RequestCapture : HttpPipelineSynchronousPolicy
{
    private readonly List<(string Method, string Uri, Dictionary<string, string> Headers)> _requests = [];

    public IReadOnlyList<(string Method, string Uri, Dictionary<string, string> Headers)> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        var headers = message.Request.Headers.ToDictionary(h => h.Name.ToLowerInvariant(), h => h.Value);
        lock (_requests)
        {
            _requests.Add((message.Request.Method.ToString(), message.Request.Uri.ToString(), headers));
        }
    }
}

/// <summary>A fresh Azurite container whose client records its requests, holding one blob; deleted on dispose.</summary>
internal sealed class CapturingContainer : IAsyncDisposable
{
    private CapturingContainer(Azure.Storage.Blobs.BlobContainerClient container, RequestCapture capture)
    {
        Container = container;
        Capture = capture;
    }

    public Azure.Storage.Blobs.BlobContainerClient Container { get; }
    public RequestCapture Capture { get; }

    public static async Task<CapturingContainer> WithBlobAsync(string blobName)
    {
        var capture = new RequestCapture();
        var options = BackupFunctions.Vault.Storage.BlobVault.ClientOptions();
        options.AddPolicy(capture, HttpPipelinePosition.PerCall);
        var container = new Azure.Storage.Blobs.BlobContainerClient(TestServers.Storage, $"it-{Guid.NewGuid():N}", options);
        await container.CreateAsync();
        await container.GetBlobClient(blobName).UploadAsync(BinaryData.FromString("d"));
        return new CapturingContainer(container, capture);
    }

    public async ValueTask DisposeAsync() => await Container.DeleteIfExistsAsync();
}
