using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Vault.Storage;

/// <summary>A blob's size and metadata.</summary>
public sealed record BlobStat(string Name, long Size, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A blob as seen in a listing: its creation time, and whether a live lease holds it (a running backup's marker).</summary>
public sealed record VaultBlob(string Name, DateTimeOffset CreatedOn, bool Leased);

/// <summary>A check record as seen in a listing (outcome from blob metadata, no download).</summary>
public sealed record CheckSummary(string BlobName, string Kind, string Outcome, DateTimeOffset At, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The backup vault on Azure Blob storage (Azurite locally). Every write is create-only; later facts
/// about a backup are new blobs. All methods are safe to retry: names derive from the backup id.
/// </summary>
public sealed partial class BlobVault
{
    private readonly BlobContainerClient _container;
    private readonly ImmutabilityOptions _immutability;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _warnedUnsupported;

    public BlobVault(BlobContainerClient container, ImmutabilityOptions immutability, TimeProvider time, ILogger logger)
    {
        _container = container;
        _immutability = immutability;
        _time = time;
        _logger = logger;
    }

    public string ContainerName => _container.Name;

    /// <summary>Client options: exponential retries on transient errors, generous per-try timeout for 8 MB blocks.</summary>
    public static BlobClientOptions ClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 5;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(30);
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(5);
        return options;
    }

    /// <summary>Creates the container when missing (private access).</summary>
    public async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        await _container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
    }

    /// <summary>A pipeline whose output is committed as <paramref name="blobName"/>, create-only.</summary>
    public BackupPipeline OpenDataWriter(string blobName, CompressionKind compression, PipelineOptions? options = null,
        (byte[] Key, string KeyId)? encryption = null) =>
        new(new AzureBlockSink(_container.GetBlockBlobClient(blobName)), compression, options, encryption);

    /// <summary>Writes a small blob once. Fails with <see cref="VaultException"/> when the name exists.</summary>
    public async Task WriteOnceAsync(string blobName, BinaryData content, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken,
        string contentType = "application/json")
    {
        if (!await CreateOnlyAsync(_container.GetBlobClient(blobName), content, metadata, contentType, cancellationToken))
        {
            throw VaultException.AlreadyExists(blobName);
        }
    }

    /// <summary>Uploads a small blob with If-None-Match: *; false when the name exists (nothing is overwritten).</summary>
    internal static async Task<bool> CreateOnlyAsync(BlobClient blob, BinaryData content, IReadOnlyDictionary<string, string>? metadata, string contentType,
        CancellationToken cancellationToken)
    {
        var options = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = metadata is null ? null : new Dictionary<string, string>(metadata),
        };
        try
        {
            await blob.UploadAsync(content, options, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>
    /// How long a running marker's lease lasts without renewal, so how soon after a crash prune stops
    /// seeing the backup as running (Backup:Storage:RunningLease, 15-60 s).
    /// </summary>
    public TimeSpan RunningLease { get; init; } = RunningMarker.MaxLease;

    /// <summary>
    /// Creates (or, on a retry with the same backup id, finds) a backup's running marker and holds it
    /// leased until disposed (<see cref="RunningMarker"/>). Throws when storage cannot be reached.
    /// </summary>
    public Task<RunningMarker> HoldRunningMarkerAsync(string blobName, BinaryData content, CancellationToken cancellationToken) =>
        RunningMarker.HoldAsync(_container.GetBlobClient(blobName), content, RunningLease, _time, _logger, cancellationToken);

    /// <summary>
    /// Applies the configured time-based immutability policy to each blob. In BestEffort a store
    /// that cannot do it (Azurite answers 501) is recorded and warned about once; in Required it
    /// throws <see cref="VaultException"/>.
    /// </summary>
    public async Task<ImmutabilityRecord> ProtectAsync(IReadOnlyList<string> blobNames, CancellationToken cancellationToken)
    {
        var mode = _immutability.Mode;
        if (_immutability.Mode == ImmutabilityMode.Off)
        {
            return new ImmutabilityRecord(mode, ImmutabilityStatus.Off, null, null);
        }

        var until = _time.GetUtcNow().AddDays(_immutability.MinRetentionDays);
        var lockMode = _immutability.PolicyMode == ImmutabilityPolicyLock.Locked ? BlobImmutabilityPolicyMode.Locked : BlobImmutabilityPolicyMode.Unlocked;
        var policy = new BlobImmutabilityPolicy { ExpiresOn = until, PolicyMode = lockMode };
        try
        {
            foreach (string name in blobNames)
            {
                await _container.GetBlobClient(name).SetImmutabilityPolicyAsync(policy, cancellationToken: cancellationToken);
            }

            return new ImmutabilityRecord(mode, ImmutabilityStatus.Applied, until,
                $"time-based policy, {_immutability.PolicyMode.ToString().ToLowerInvariant()}, {_immutability.MinRetentionDays} days");
        }
        catch (RequestFailedException e) when (e.Status is 501 or 400 or 409 or 403)
        {
            string detail = $"the store refused the immutability policy (HTTP {e.Status} {e.ErrorCode ?? "no error code"})";
            if (_immutability.Mode == ImmutabilityMode.Required)
            {
                throw new VaultException(
                    $"{detail}; Immutability.Mode is Required (set Backup:Storage:Immutability:Mode to BestEffort for a store without immutability, such as Azurite)", e);
            }

            if (Interlocked.Exchange(ref _warnedUnsupported, 1) == 0)
            {
                Logs.ImmutabilityUnsupported(_logger, e.Status, e.ErrorCode ?? "");
            }

            return new ImmutabilityRecord(mode, ImmutabilityStatus.UnsupportedByStore, null, detail);
        }
    }

    /// <summary>
    /// Sets or clears a legal hold on each blob (needs a store with version-level immutability; an
    /// owner role). Throws <see cref="VaultException"/> with the reason when the store refuses.
    /// </summary>
    public async Task SetLegalHoldAsync(IReadOnlyList<string> blobNames, bool on, CancellationToken cancellationToken)
    {
        foreach (string name in blobNames)
        {
            try
            {
                await _container.GetBlobClient(name).SetLegalHoldAsync(on, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 501 or 400 or 409 or 403)
            {
                throw new VaultException(
                    $"the store refused the legal hold on '{name}' (HTTP {e.Status} {e.ErrorCode ?? "no error code"}; it needs Azure Blob storage with version-level immutability and the Storage Blob Data Owner role)", e);
            }
        }
    }

    /// <summary>True when the blob exists and carries a legal hold.</summary>
    public async Task<bool> HasLegalHoldAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            var p = await _container.GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken);
            return p.Value.HasLegalHold;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>The manifest of a backup, or null when the backup does not exist.</summary>
    public async Task<BackupManifest?> ReadManifestAsync(BackupId id, CancellationToken cancellationToken)
    {
        try
        {
            string name = BlobLayout.Manifest(id);
            var result = await _container.GetBlobClient(name).DownloadContentAsync(cancellationToken);
            return BackupManifest.Parse(result.Value.Content, name);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Every complete backup (one with a manifest) of a target, or of all targets; unordered.
    /// Data blobs without a manifest are never listed.
    /// </summary>
    public async IAsyncEnumerable<BackupManifest> ListManifestsAsync(string? target, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!await _container.ExistsAsync(cancellationToken))
        {
            yield break; // nothing was ever backed up here
        }

        await foreach (var item in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, BlobLayout.TargetPrefix(target), cancellationToken))
        {
            if (!item.Name.EndsWith("/" + BlobLayout.ManifestFileName, StringComparison.Ordinal) ||
                item.Name.StartsWith(BlobLayout.RunsPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var content = await _container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken);
            yield return BackupManifest.Parse(content.Value.Content, item.Name);
        }
    }

    /// <summary>Check records of one backup, oldest first, with the outcome from their metadata.</summary>
    public async Task<IReadOnlyList<CheckSummary>> ListChecksAsync(BackupId id, CancellationToken cancellationToken)
    {
        var checks = new List<CheckSummary>();
        string prefix = BlobLayout.BackupPrefix(id) + "checks/";
        if (!await _container.ExistsAsync(cancellationToken))
        {
            return checks;
        }

        await foreach (var item in _container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix, cancellationToken))
        {
            item.Metadata.TryGetValue("kind", out string? kind);
            item.Metadata.TryGetValue("outcome", out string? outcome);
            checks.Add(new CheckSummary(item.Name, kind ?? "?", outcome ?? "?", item.Properties.CreatedOn ?? DateTimeOffset.MinValue, item.Metadata.AsReadOnly()));
        }

        checks.Sort((a, b) => string.CompareOrdinal(a.BlobName, b.BlobName));
        return checks;
    }

    /// <summary>Every blob under a prefix with its creation time and lease (for prune and the orphan sweep).</summary>
    public async Task<IReadOnlyList<VaultBlob>> ListBlobsAsync(string prefix, CancellationToken cancellationToken)
    {
        var names = new List<VaultBlob>();
        if (!await _container.ExistsAsync(cancellationToken))
        {
            return names;
        }

        await foreach (var item in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
        {
            // Locked covers Leased and Breaking; the service (and Azurite) reports an expired lease as Unlocked.
            names.Add(new VaultBlob(item.Name, item.Properties.CreatedOn ?? DateTimeOffset.MinValue, item.Properties.LeaseStatus == LeaseStatus.Locked));
        }

        return names;
    }

    /// <summary>
    /// Deletes a blob; true when it is gone (also when it was already gone). A store that refuses
    /// because of an immutability policy or legal hold, or a blob under a lease (a running backup's
    /// marker), returns false: nothing is forced.
    /// </summary>
    public async Task<bool> DeleteAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            await _container.GetBlobClient(blobName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 403 or 412)
        {
            return false;
        }
    }

    /// <summary>Size and metadata of a blob, or null when it does not exist.</summary>
    public async Task<BlobStat?> StatAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            var p = await _container.GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken);
            return new BlobStat(blobName, p.Value.ContentLength, p.Value.Metadata.AsReadOnly());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>A streaming download of a blob (the SDK resumes it on transient failures), or null when missing.</summary>
    public async Task<Stream?> OpenReadAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _container.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken);
            return result.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
