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
