using System.Diagnostics;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Vault;

/// <summary>A running marker's lease survives storage that stops answering for a while, and says so when it lapsed.</summary>
public class RunningMarkerTests
{
    private const string Marker = "p/2026/01/01/p-20260101T000000Z-0001/running.json";

    [Fact]
    public async Task RenewalsFailingLongerThanTheLease_NeverThrow_WarnOnce_ThenTheLeaseIsTakenBack_AndDisposeRemovesTheMarker()
    {
        var faults = new LeaseFaults();
        var clientOptions = BlobVault.ClientOptions();
        clientOptions.AddPolicy(faults, HttpPipelinePosition.PerCall);
        var container = new BlobContainerClient(TestServers.Storage, $"it-{Guid.NewGuid():N}", clientOptions);
        await container.CreateAsync();
        try
        {
            using var logs = new ListLoggerProvider();
            var vault = new BlobVault(container, new ImmutabilityOptions(), TimeProvider.System, logs.CreateLogger("vault")) { RunningLease = RunningMarker.MinLease };
            var marker = await vault.HoldRunningMarkerAsync(Marker, BinaryData.FromString("{}"), CancellationToken.None);

            faults.Failing = true; // storage refuses every lease request from now on
            bool lapsed = await PollAsync(async () => !await LeasedAsync(vault) && logs.Messages.Any(m => m.Contains("was not renewed", StringComparison.Ordinal)));
            faults.Failing = false;
            bool retaken = await PollAsync(async () => await LeasedAsync(vault) && logs.Messages.Any(m => m.Contains("lease renewed again", StringComparison.Ordinal)));
            await marker.DisposeAsync();

            Assert.True(lapsed, "the lease did not lapse, or no warning said so: " + string.Join(" | ", logs.Messages));
            Assert.True(retaken, "the lease was not taken back once storage answered again: " + string.Join(" | ", logs.Messages));
            Assert.Single(logs.Messages, m => m.Contains("was not renewed", StringComparison.Ordinal));
            Assert.Null(await vault.StatAsync(Marker, CancellationToken.None));
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    private static async Task<bool> LeasedAsync(BlobVault vault) =>
        (await vault.ListBlobsAsync("p/", CancellationToken.None)).Single().Leased;

    /// <summary>Polls every 250 ms for up to two leases; true once <paramref name="condition"/> holds.</summary>
    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < 2 * RunningMarker.MinLease)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    /// <summary>Fails lease requests (acquire, renew) with 503 while <see cref="Failing"/>, as a storage outage would.</summary>
    private sealed class LeaseFaults : HttpPipelinePolicy
    {
        public volatile bool Failing;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Fail(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Fail(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Fail(HttpMessage message)
        {
            if (Failing && message.Request.Uri.Query.Contains("comp=lease", StringComparison.Ordinal))
            {
                throw new RequestFailedException(503, "injected: storage unavailable");
            }
        }
    }
}
