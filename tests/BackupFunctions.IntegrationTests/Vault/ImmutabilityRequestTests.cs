using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Catalog;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Vault;

/// <summary>
/// Azurite answers 501 to immutability calls, so it cannot show what Azure would receive. These
/// tests capture the request the SDK sends for our policy at the HTTP boundary instead: the
/// operation, the expiry and the lock mode, as the Blob service REST API defines them.
/// </summary>
public class ImmutabilityRequestTests
{
    private sealed class FixedTime(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }

    [Theory]
    [InlineData(ImmutabilityPolicyLock.Unlocked, "Unlocked")]
    [InlineData(ImmutabilityPolicyLock.Locked, "Locked")]
    public async Task Protect_SendsASetImmutabilityPolicyRequest_WithTheExpiryAndMode(ImmutabilityPolicyLock mode, string header)
    {
        await using var store = await CapturingContainer.WithBlobAsync("x/data");
        var now = new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);
        var vault = new BlobVault(store.Container, new ImmutabilityOptions { Mode = ImmutabilityMode.BestEffort, MinRetentionDays = 30, PolicyMode = mode },
            new FixedTime(now), NullLogger.Instance);

        var record = await vault.ProtectAsync(["x/data"], CancellationToken.None);

        var request = store.Capture.Requests.Single(r => r.Uri.Contains("comp=immutabilityPolicies", StringComparison.Ordinal));
        Assert.Equal("PUT", request.Method);
        Assert.Contains("/x/data?", request.Uri, StringComparison.Ordinal);
        Assert.Equal("Tue, 22 Dec 2026 02:00:00 GMT", request.Headers["x-ms-immutability-policy-until-date"]);
        Assert.Equal(header, request.Headers["x-ms-immutability-policy-mode"]);
        Assert.Equal(ImmutabilityStatus.UnsupportedByStore, record.Status); // Azurite's 501, recorded, not hidden
    }
}
