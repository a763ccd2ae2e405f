using System.Diagnostics;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Telemetry;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>Input of <see cref="BackupDatabaseActivity"/>: the target, and the backup id when the caller fixes it (retries reuse it).</summary>
public sealed record BackupDatabaseInput(string Target, string? BackupId = null);

/// <summary>What a backup produced.</summary>
/// <param name="RestoreTestDisabled">The target's RestoreTest:Enabled is false (e.g. this host holds only an envelope key's
/// public half): the orchestration skips the restore test and the run report says so. In the output, not read by the
/// orchestrator from configuration, so a replay decides as the first execution did.</param>
public sealed record BackupDatabaseOutput(string BackupId, string Target, long RawBytes, long StoredBytes,
    double Seconds, string Compression, ImmutabilityStatus Immutability, string ManifestBlob, bool RestoreTestDisabled = false);

/// <summary>
/// Dumps one target through the pipeline into the vault and writes its manifest last.
/// Runs at least once, so it is idempotent: given a backup id whose manifest exists, it returns
/// that backup instead of making a second one.
/// </summary>
public sealed partial class BackupDatabaseActivity(BlobVault vault, Targets targets, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null)
    : BackupActivity<BackupDatabaseInput, BackupDatabaseOutput>(loggers, environment)
{
    protected override Task<BackupDatabaseOutput> ExecuteAsync(BackupDatabaseInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, progress, cancellationToken);

    protected override string? ProgressLabel(BackupDatabaseInput input) => $"{input.Target} backup";

    private readonly ILogger _logger = loggers.CreateLogger<BackupDatabaseActivity>();

    public async Task<BackupDatabaseOutput> RunAsync(BackupDatabaseInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        using var span = BackupTelemetry.Start("backup", input.Target, input.BackupId);
        using var scope = _logger.BeginScope(new Dictionary<string, object?> { ["Target"] = input.Target, ["BackupId"] = input.BackupId });
        try
        {
            var output = await TargetErrors.About($"target '{input.Target}'", () => BackupAsync(input, progress, cancellationToken));
            span?.SetTag("backupfn.backup_id", output.BackupId);
            return output;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            BackupTelemetry.BackupFailed(input.Target);
            BackupTelemetry.Fail(span, e.Message);
            throw;
        }
    }

    private async Task<BackupDatabaseOutput> BackupAsync(BackupDatabaseInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var target = await targets.ResolveAsync(input.Target, cancellationToken);
        var id = input.BackupId is null ? BackupId.New(target.Name, time.GetUtcNow(), Random.Shared) : TargetErrors.ParseId(input.BackupId);
        if (await vault.ReadManifestAsync(id, cancellationToken) is { } done)
        {
            return Output(done, 0, target);
        }

        await vault.EnsureContainerAsync(cancellationToken);
        string? keyId = target.Options.Encryption?.KeyId;
        var dataKey = keyId is null ? null : await targets.Keys.NewDataKeyAsync(keyId, cancellationToken);
        string extension = target.Engine.DataExtension + Compression.Suffix(target.Compression) + (keyId is null ? "" : ".enc");
        if (await vault.StatAsync(BlobLayout.Data(id, extension), cancellationToken) is not null)
        {
            // An earlier attempt committed its data but died before the manifest: that data is
            // unproven (no manifest, never listed; the orphan sweep removes it). Start afresh.
            var orphan = id;
            id = BackupId.New(target.Name, time.GetUtcNow(), Random.Shared);
            Logs.BackupOrphan(_logger, orphan.Value, id.Value);
        }

        var clock = Stopwatch.StartNew();
        var startedAt = time.GetUtcNow();
        // Tells a concurrent prune (any process) that this target has a backup in flight, for exactly as
        // long as this process works on it: the marker is leased and renewed until disposed (at the end
        // of this method: success, failure or cancellation), and its lease lapses within a minute of a crash.
        await using var running = await vault.HoldRunningMarkerAsync(BlobLayout.Running(id),
            VaultJson.Serialize(new { backupId = id.Value, startedAt }), cancellationToken);

        // The size estimate (progress and ETA only) is read beside the dump, not before it: for Redis it is a connection of
        // its own (~0.1 s) that would otherwise delay the dump. It is best-effort: a failure leaves progress without a total,
        // and the dump reports any real connection problem itself.
        using var estimateStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var estimating = Task.Run(() => EstimateAsync(target, estimateStop.Token), CancellationToken.None);
        var compression = target.Compression;
        string compressionName = Compression.Name(compression);
        string dataBlob = BlobLayout.Data(id, extension);
        Logs.BackupStarting(_logger, target.Name, id.Value, target.Description, compressionName);

        DumpResult dump;
        PipelineResult stored;
        await using (var pipeline = vault.OpenDataWriter(dataBlob, compression, encryption: dataKey is null ? null : (dataKey.Key, keyId!)))
        {
            if (progress is not null)
            {
                pipeline.Progress = bytes => progress.Report(new TransferProgress("backup", bytes,
                    estimating.IsCompletedSuccessfully ? estimating.Result : null));
            }

            try
            {
                dump = await target.Engine.DumpAsync(target.Connection, pipeline.Input, cancellationToken);
            }
            finally
            {
                await estimateStop.CancelAsync();
                await estimating; // never throws
            }

            stored = await pipeline.CompleteAsync(new Dictionary<string, string>
            {
                ["backupid"] = id.Value,
                ["target"] = target.Name,
                ["engine"] = target.Engine.Name,
            }, cancellationToken);
        }

        var immutability = await vault.ProtectAsync([dataBlob], cancellationToken);
        var manifest = new BackupManifest
        {
            Id = id.Value,
            Target = target.Name,
            Engine = target.Engine.Name,
            EngineVersion = dump.EngineVersion,
            Tool = dump.Tool,
            ToolVersion = dump.ToolVersion,
            Format = dump.Format,
            Source = target.Description,
            StartedAt = startedAt,
            CompletedAt = time.GetUtcNow(),
            Compression = compressionName,
            Encryption = dataKey is null ? null
                : new EncryptionInfo(Vault.Encryption.FramedAesGcm.Algorithm, keyId!, dataKey.KeyWrap, dataKey.WrappedKey, dataKey.WrappingKey),
            RawBytes = stored.RawBytes,
            StoredBytes = stored.StoredBytes,
            Sha256Raw = stored.Sha256Raw,
            Sha256Stored = stored.Sha256Stored,
            Blobs = new ManifestBlobs(dataBlob, BlobLayout.Manifest(id)),
            SourceStats = new SourceStatsRecord(dump.Stats.Kind, dump.Stats.Counts, dump.Stats.SizeBytes),
            Immutability = immutability,
            Warnings = dump.Warnings is { Count: > 0 } ? dump.Warnings : null,
        };

        // Written last: its presence is what makes the backup exist.
        await vault.WriteOnceAsync(manifest.Blobs.Manifest, VaultJson.Serialize(manifest),
            new Dictionary<string, string> { ["backupid"] = id.Value, ["sha256"] = stored.Sha256Stored }, cancellationToken);
        if (immutability.Status == ImmutabilityStatus.Applied)
        {
            await vault.ProtectAsync([manifest.Blobs.Manifest], cancellationToken);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        BackupTelemetry.BackupSucceeded(target.Name, target.Engine.Name, seconds, stored.RawBytes, stored.StoredBytes, manifest.CompletedAt);
        Logs.BackupCompleted(_logger, target.Name, id.Value, stored.RawBytes, stored.StoredBytes, seconds);
        return Output(manifest, seconds, target);
    }

    private async Task<long?> EstimateAsync(ResolvedTarget target, CancellationToken cancellationToken)
    {
        try
        {
            return await target.Engine.EstimateSizeAsync(target.Connection, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // An engine's message is written to be shown (no secrets); any other exception is named by its type only.
            Logs.EstimateFailed(_logger, target.Name, e is EngineException ? e.Message : e.GetType().Name);
            return null;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            return null; // the dump ended first, or the backup was cancelled
        }
    }

    private static BackupDatabaseOutput Output(BackupManifest m, double seconds, ResolvedTarget target) =>
        new(m.Id, m.Target, m.RawBytes, m.StoredBytes, seconds, m.Compression, m.Immutability.Status, m.Blobs.Manifest,
            RestoreTestDisabled: target.Options.RestoreTest is { Enabled: false });
}
