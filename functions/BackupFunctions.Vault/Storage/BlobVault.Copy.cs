using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Vault.Storage;

/// <summary>How a blob reached a copy vault.</summary>
public enum BlobCopyMethod
{
    /// <summary>The copy's store read the source itself through a short-lived read-only SAS (Copy Blob).</summary>
    ServerSide,

    /// <summary>Downloaded here and uploaded (the source gives no SAS: managed identity only).</summary>
    Streamed,

    /// <summary>The copy already held a blob of that name; nothing was written.</summary>
    AlreadyPresent,
}

/// <summary>Size and SHA-256 of a blob's bytes, as re-read from the store.</summary>
public sealed record BlobDigest(long Bytes, string Sha256);

public sealed partial class BlobVault
{
    /// <summary>How long the read-only SAS of a server-side copy stays valid (a cross-region copy of a large blob takes a while).</summary>
    public static TimeSpan CopySasLifetime { get; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Copies <paramref name="blobName"/> from <paramref name="source"/> into this vault under the same name, create-only:
    /// a blob already there is never overwritten (<see cref="BlobCopyMethod.AlreadyPresent"/>; the caller compares bytes).
    /// Server-side when the source can sign a SAS (a shared-key account, Azurite) and the copy's store accepts to read it,
    /// else streamed (an identity-only source; a store that cannot reach the source, such as another Azurite). Safe to retry.
    /// </summary>
    public async Task<BlobCopyMethod> CopyFromAsync(BlobVault source, string blobName, CancellationToken cancellationToken)
    {
        var from = source._container.GetBlobClient(blobName);
        var to = _container.GetBlobClient(blobName);
        var createOnly = new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            if (from.CanGenerateSasUri && await StartServerSideCopyAsync(from, to, createOnly, cancellationToken) is { } copy)
            {
                await copy.WaitForCompletionAsync(cancellationToken);
                return BlobCopyMethod.ServerSide;
            }

            var properties = await from.GetPropertiesAsync(cancellationToken: cancellationToken);
            var download = await from.DownloadStreamingAsync(cancellationToken: cancellationToken);
            await using var content = download.Value.Content;
            await to.UploadAsync(content, new BlobUploadOptions
            {
                Conditions = createOnly,
                Metadata = properties.Value.Metadata,
                HttpHeaders = new BlobHttpHeaders { ContentType = properties.Value.ContentType },
            }, cancellationToken);
            return BlobCopyMethod.Streamed;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return BlobCopyMethod.AlreadyPresent;
        }
    }

    /// <summary>
    /// Starts Copy Blob from a read-only SAS of the source; null when the copy's store refuses to read it (it cannot reach the
    /// source, or does not accept its SAS), so the caller streams instead. A refused start leaves nothing in the copy.
    /// </summary>
    private async Task<CopyFromUriOperation?> StartServerSideCopyAsync(BlobClient from, BlobClient to, BlobRequestConditions createOnly, CancellationToken cancellationToken)
    {
        var sas = from.GenerateSasUri(BlobSasPermissions.Read, _time.GetUtcNow().Add(CopySasLifetime));
        try
        {
            return await to.StartCopyFromUriAsync(sas, new BlobCopyFromUriOptions { DestinationConditions = createOnly }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 400 or 401 or 403 or 404)
        {
            Logs.ServerSideCopyRefused(_logger, to.Name, e.Status, e.ErrorCode ?? "");
            return null;
        }
    }

    /// <summary>Re-reads a blob in one streaming pass: its size and SHA-256; null when it does not exist.</summary>
    public async Task<BlobDigest?> DigestAsync(string blobName, CancellationToken cancellationToken)
    {
        await using var download = await OpenReadAsync(blobName, cancellationToken);
        if (download is null)
        {
            return null;
        }

        await using var hashing = new HashingStream(download, leaveOpen: true);
        await hashing.CopyToAsync(Stream.Null, cancellationToken);
        return new BlobDigest(hashing.BytesCount, hashing.FinishHash());
    }

    /// <summary>The bytes of a small blob (a manifest), or null when it does not exist.</summary>
    public async Task<BinaryData?> ReadSmallAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            return (await _container.GetBlobClient(blobName).DownloadContentAsync(cancellationToken)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
