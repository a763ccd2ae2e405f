using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Vault;

/// <summary>
/// <see cref="BlobVault.CopyFromAsync"/> against Azurite, both ways: server-side when the source can sign a SAS (a shared-key
/// client), streamed when it cannot (here a client holding only a container SAS, as a managed-identity client would).
/// </summary>
public class CopyFromTests
{
    [Theory]
    [InlineData(true, BlobCopyMethod.ServerSide)]
    [InlineData(false, BlobCopyMethod.Streamed)]
    public async Task CopyFrom_CopiesBytesAndMetadataOnce_ThenFindsThemThere(bool sharedKeySource, BlobCopyMethod expected)
    {
        var sourceContainer = new BlobContainerClient(TestServers.Storage, $"it-{Guid.NewGuid():N}");
        var copyContainer = new BlobContainerClient(TestServers.Storage, $"it-{Guid.NewGuid():N}");
        try
        {
            await sourceContainer.CreateAsync();
            byte[] bytes = RandomNumberGenerator.GetBytes(300_000);
            await sourceContainer.GetBlobClient("t/data.bin").UploadAsync(new BinaryData(bytes), new BlobUploadOptions
            {
                Metadata = new Dictionary<string, string> { ["sha256stored"] = "abc" },
            });
            var sourceClient = sharedKeySource
                ? sourceContainer
                : new BlobContainerClient(sourceContainer.GenerateSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1)),
                    BlobVault.ClientOptions());
            Assert.Equal(sharedKeySource, sourceClient.GetBlobClient("t/data.bin").CanGenerateSasUri);
            var source = new BlobVault(sourceClient, new ImmutabilityOptions(), TimeProvider.System, NullLogger.Instance);
            var copy = new BlobVault(copyContainer, new ImmutabilityOptions(), TimeProvider.System, NullLogger.Instance);
            await copy.EnsureContainerAsync(CancellationToken.None);

            Assert.Equal(expected, await copy.CopyFromAsync(source, "t/data.bin", CancellationToken.None));

            Assert.Equal(bytes, (await copyContainer.GetBlobClient("t/data.bin").DownloadContentAsync()).Value.Content.ToArray());
            Assert.Equal("abc", (await copyContainer.GetBlobClient("t/data.bin").GetPropertiesAsync()).Value.Metadata["sha256stored"]);
            var digest = Assert.IsType<BlobDigest>(await copy.DigestAsync("t/data.bin", CancellationToken.None));
            Assert.Equal(bytes.Length, digest.Bytes);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), digest.Sha256, ignoreCase: true);

            // Create-only: a second copy writes nothing, and a blob that differs is left as it is.
            await copyContainer.GetBlobClient("t/other.bin").UploadAsync(new BinaryData("different"u8.ToArray()));
            await sourceContainer.GetBlobClient("t/other.bin").UploadAsync(new BinaryData(bytes));
            Assert.Equal(BlobCopyMethod.AlreadyPresent, await copy.CopyFromAsync(source, "t/data.bin", CancellationToken.None));
            Assert.Equal(BlobCopyMethod.AlreadyPresent, await copy.CopyFromAsync(source, "t/other.bin", CancellationToken.None));
            Assert.Equal("different", (await copyContainer.GetBlobClient("t/other.bin").DownloadContentAsync()).Value.Content.ToString());
        }
        finally
        {
            await sourceContainer.DeleteIfExistsAsync();
            await copyContainer.DeleteIfExistsAsync();
        }
    }
}
