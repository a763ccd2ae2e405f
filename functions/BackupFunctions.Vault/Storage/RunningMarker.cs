using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Vault.Storage;

/// <summary>
/// A backup's <c>running.json</c>, held under a blob lease that a background loop renews every third
/// of the lease for as long as the backup runs. Disposing stops the loop and deletes the marker
/// (success, failure or cancellation alike); a process that dies without disposing (kill -9, OOM)
/// stops renewing, and the lease lapses within one lease duration. A marker means "running" only
/// while it is leased. Dispose never throws.
/// </summary>
/// <remarks>
/// Why a lease, not the marker's age or the engine's instance state: prune runs in any process (the
/// CLI, serve, the Azure app) and may not share the backup's task hub; the vault is what they all
/// share. An orchestration whose worker was killed still reads "Running" in its hub until someone
/// resumes it, and a marker's age cannot tell a slow backup from a dead one. A lease is renewed only
/// by a live process, so it answers exactly "is this backup's process still working on it".
/// </remarks>
public sealed class RunningMarker : IAsyncDisposable
{
    /// <summary>Azure's bounds for a finite blob lease.</summary>
    public static TimeSpan MinLease { get; } = TimeSpan.FromSeconds(15);

    /// <inheritdoc cref="MinLease"/>
    public static TimeSpan MaxLease { get; } = TimeSpan.FromSeconds(60);

    private readonly BlobClient _blob;
    private readonly BlobLeaseClient _lease;
    private readonly BinaryData _content;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _renewing = Task.CompletedTask;
    private DateTimeOffset _heldUntil;
    private bool _lapsed;
    private int _disposed;

    private RunningMarker(BlobClient blob, BinaryData content, TimeSpan duration, TimeProvider time, ILogger logger)
    {
        _blob = blob;
        _lease = blob.GetBlobLeaseClient(); // a lease id of our own, fixed for this marker's life
        _content = content;
        _duration = duration;
        _time = time;
        _logger = logger;
    }

    /// <summary>Creates the marker (or finds an earlier attempt's), leases it and starts renewing. Throws when storage cannot be reached.</summary>
    internal static async Task<RunningMarker> HoldAsync(BlobClient blob, BinaryData content, TimeSpan duration, TimeProvider time, ILogger logger,
        CancellationToken cancellationToken)
    {
        var marker = new RunningMarker(blob, content, duration, time, logger) { _heldUntil = time.GetUtcNow() + duration };
        await BlobVault.CreateOnlyAsync(blob, content, null, "application/json", cancellationToken);
        await marker.KeepAsync(cancellationToken);
        marker._renewing = marker.RenewAsync();
        return marker;
    }

    /// <summary>
    /// One step of holding the lease. Acquiring with our own lease id renews it while it is ours and
    /// takes it again after a lapse, so the same call covers every state the marker can be in.
    /// </summary>
    private async Task KeepAsync(CancellationToken cancellationToken)
    {
        var asked = _time.GetUtcNow();
        try
        {
            await _lease.AcquireAsync(_duration, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // A prune found it unleased (our lease had lapsed while storage was unreachable) and removed it: put it back.
            await BlobVault.CreateOnlyAsync(_blob, _content, null, "application/json", cancellationToken);
            await _lease.AcquireAsync(_duration, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409 && e.ErrorCode == BlobErrorCode.LeaseAlreadyPresent)
        {
            // An earlier attempt of this backup (a process that died less than a lease ago) still holds
            // it: that lease keeps the marker live until it lapses, and the next step takes it over.
            return;
        }

        _heldUntil = asked + _duration;
        if (_lapsed)
        {
            _lapsed = false;
            Logs.RunningLeaseRegained(_logger, _blob.Name);
        }
    }

    private async Task RenewAsync()
    {
        var interval = _duration / 3;
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                // Each try is bounded by the interval, so a hung request cannot use up the lease unseen.
                using var attempt = new CancellationTokenSource(interval, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, attempt.Token);
                try
                {
                    await KeepAsync(linked.Token);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    // Storage unreachable for a moment must not fail the backup: a missed renewal leaves
                    // two thirds of the lease, and the next tick tries again. Say so once it has lapsed.
                    if (!_lapsed && _time.GetUtcNow() >= _heldUntil)
                    {
                        _lapsed = true;
                        Logs.RunningLeaseLapsed(_logger, _blob.Name, _duration.TotalSeconds, Problem(e));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed: the backup is over
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await _renewing;
        using var timeout = new CancellationTokenSource(_duration, _time);
        try
        {
            await RemoveAsync(timeout.Token);
        }
        catch (Exception e)
        {
            Logs.RunningMarkerLeft(_logger, _blob.Name, Problem(e), _duration.TotalSeconds);
        }

        _stop.Dispose();
    }

    private async Task RemoveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { LeaseId = _lease.LeaseId }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Not ours (any more): lapsed and free, or held by another attempt of this backup, which
            // then removes it itself (a delete without its lease id is refused with 412 again).
            try
            {
                await _blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException again) when (again.Status == 412)
            {
                // leased by the other attempt: left to it
            }
        }
        catch (RequestFailedException e) when (e.Status is 409 or 403)
        {
            // The store refuses deletes here (a container-wide immutability policy): an unleased
            // marker no longer counts as running, so let go of the lease now instead of in a minute.
            await _lease.ReleaseAsync(cancellationToken: cancellationToken);
        }
    }

    /// <summary>A secret-free description of a storage failure (no URLs, no headers).</summary>
    private static string Problem(Exception e) =>
        e is RequestFailedException r ? $"HTTP {r.Status} {r.ErrorCode}" : e.GetType().Name;
}
