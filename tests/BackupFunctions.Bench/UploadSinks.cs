using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using BackupFunctions.Vault.Pipeline;

/// <summary>
/// Bench-only knobs of `upload-only` (issue 13): BENCH_BLOCK_MB, BENCH_IN_FLIGHT (PipelineOptions) and BENCH_SINK:
/// sdk (the product's sink, per-block CRC64 computed by StorageCrc64), sdk-sdkcrc (the SDK computes the CRC64, as
/// before issue 13), sdk-nocrc (the same SDK call without a transactional checksum), http (a plain HttpClient Put Block / Put Block List with a SAS, no checksum: what Azurite takes from .NET).
/// </summary>
internal static class UploadKnobs
{
    public static PipelineOptions Options() => new(
        Number("BENCH_BLOCK_MB") is { } mb ? (int)mb * 1024 * 1024 : PipelineOptions.Default.BlockSize,
        Number("BENCH_IN_FLIGHT") is { } n ? (int)n : PipelineOptions.Default.MaxInFlight);

    public static string Sink => Environment.GetEnvironmentVariable("BENCH_SINK") ?? "sdk";

    public static IBlockSink? BenchSink(BlobContainerClient container, string blobName) => Sink switch
    {
        "sdk" => null,
        "sdk-sdkcrc" => new SdkChecksumSink(container.GetBlockBlobClient(blobName), StorageChecksumAlgorithm.StorageCrc64),
        "sdk-nocrc" => new SdkChecksumSink(container.GetBlockBlobClient(blobName), StorageChecksumAlgorithm.None),
        "http" => new PlainHttpSink(container, blobName),
        _ => throw new ArgumentException($"unknown BENCH_SINK {Sink} (sdk, sdk-sdkcrc, sdk-nocrc, http)"),
    };

    private static long? Number(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } s ? long.Parse(s, CultureInfo.InvariantCulture) : null;
}

/// <summary>The product's StageBlock call with the checksum left to the SDK (or none): the checksum's cost by difference.</summary>
internal sealed class SdkChecksumSink(BlockBlobClient blob, StorageChecksumAlgorithm algorithm) : IBlockSink
{
    private readonly BlockBlobStageBlockOptions _stageOptions = new()
    {
        TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = algorithm },
    };

    public async Task StageBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        MemoryMarshal.TryGetArray(data, out var segment);
        using var content = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
        await blob.StageBlockAsync(blockId, content, _stageOptions, cancellationToken);
    }

    public Task CommitAsync(IReadOnlyList<string> blockIds, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        blob.CommitBlockListAsync(blockIds, cancellationToken: cancellationToken);
}

/// <summary>Put Block / Put Block List over a plain HttpClient with a write SAS: no SDK pipeline, no checksum.</summary>
internal sealed class PlainHttpSink(BlobContainerClient container, string blobName) : IBlockSink
{
    private static readonly HttpClient Http = new();
    private readonly string _uri = container.GetBlobClient(blobName)
        .GenerateSasUri(BlobSasPermissions.Write | BlobSasPermissions.Create, DateTimeOffset.UtcNow.AddHours(1)).ToString();

    public async Task StageBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        MemoryMarshal.TryGetArray(data, out var segment);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{_uri}&comp=block&blockid={Uri.EscapeDataString(blockId)}")
        {
            Content = new ByteArrayContent(segment.Array!, segment.Offset, segment.Count),
        };
        request.Headers.Add("x-ms-version", "2021-08-06");
        using var response = await Http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task CommitAsync(IReadOnlyList<string> blockIds, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        foreach (string id in blockIds)
        {
            xml.Append("<Latest>").Append(id).Append("</Latest>");
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, $"{_uri}&comp=blocklist")
        {
            Content = new StringContent(xml.Append("</BlockList>").ToString(), Encoding.UTF8, new MediaTypeHeaderValue("application/xml")),
        };
        request.Headers.Add("x-ms-version", "2021-08-06");
        using var response = await Http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
