using System.Runtime.InteropServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Vault.Storage;

/// <summary>
/// Stages blocks of one block blob and commits them create-only (If-None-Match: *). Each block
/// carries a transactional CRC64, so corruption on the wire is refused by the service.
/// </summary>
internal sealed class AzureBlockSink(BlockBlobClient blob) : IBlockSink
{
    public async Task StageBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // The CRC64 is computed here (StorageCrc64: vectorized) and handed over precalculated; left to the
        // SDK it is a second, table-driven pass over the block that cost ~0.35 CPU-s per 450 MB (README).
        var options = new BlockBlobStageBlockOptions
        {
            TransferValidation = new UploadTransferValidationOptions
            {
                ChecksumAlgorithm = StorageChecksumAlgorithm.StorageCrc64,
                PrecalculatedChecksum = StorageCrc64.Compute(data.Span),
            },
        };

        // A seekable stream over the pooled buffer: the SDK rewinds it when it retries the request.
        using var content = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        await blob.StageBlockAsync(blockId, content, options, cancellationToken);
    }

    public async Task CommitAsync(IReadOnlyList<string> blockIds, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var options = new CommitBlockListOptions
        {
            Metadata = new Dictionary<string, string>(metadata),
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        };
        try
        {
            await blob.CommitBlockListAsync(blockIds, options, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            throw VaultException.AlreadyExists(blob.Name);
        }
    }
}
