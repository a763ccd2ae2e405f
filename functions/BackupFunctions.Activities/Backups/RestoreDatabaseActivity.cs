using System.Diagnostics;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// Input of a restore: which backup (an id, or the latest of <paramref name="Target"/>), into which
/// target (a configured one, one this process added for <c>--to-connection</c>, or with
/// <paramref name="DestinationSecret"/> the database whose connection string that Key Vault secret holds), and
/// whether a non-empty destination may be replaced. <paramref name="RequestId"/> (a queue message id) makes a
/// redelivered request a no-op. With <paramref name="Replace"/> and <paramref name="SafetyBackup"/>, the destination
/// is first backed up (as <paramref name="SafetyBackupId"/> when given, so a retried attempt reuses it).
/// <paramref name="Selection"/> restores part of the backup. <paramref name="From"/> names a copy vault (Backup:Copies) to read the
/// backup from instead of the primary; null reads the primary, falling back to a verified copy when its data is missing or corrupt.
/// </summary>
public sealed record RestoreDatabaseInput(string? BackupId, string Destination, bool Replace,
    string? Target = null, bool Latest = false, string? RequestId = null, string? RequestedBy = null,
    bool SafetyBackup = true, string? SafetyBackupId = null, RestoreSelection? Selection = null, string? DestinationSecret = null,
    string? From = null)
{
    /// <summary>How a secret destination is named in records and messages: "secret:NAME" (the name, never the value).</summary>
    public static string SecretDestination(string secretName) => "secret:" + secretName;
}

/// <summary>
/// What a restore did, and whether the restored counts match the backup's; AlreadyDone for a redelivered request;
/// the id of the safety backup taken before the destination was replaced, if one was; the warning when a copy stood in for the primary's data.
/// </summary>
public sealed record RestoreDatabaseOutput(string BackupId, string Destination, bool CountsMatch, string Detail, double Seconds, bool AlreadyDone = false,
    string? SafetyBackupId = null, string? Warning = null);

/// <summary>
/// Restores a backup into a configured target. Refuses a non-empty destination unless Replace;
/// checksums are verified before the restored data replaces anything, so a corrupt backup never
/// overwrites the destination. Each restore is recorded as a "restore" check record; with a request
/// id, a request already restored is not restored again. A replace first takes a safety backup of the
/// destination (into the destination target's own catalog) and stops, destination unchanged, when that fails. The data is
/// read from the primary vault, or from a copy that verifies when the primary's is missing or corrupt (<see cref="CopyFallback"/>),
/// or from the copy the input names; the restore record goes into the vault the manifest was read from.
/// </summary>
public sealed class RestoreDatabaseActivity(BlobVault vault, Targets targets, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null,
    IReadOnlyDictionary<string, BlobVault>? copies = null)
    : BackupActivity<RestoreDatabaseInput, RestoreDatabaseOutput>(loggers, environment)
{
    private readonly ILogger _logger = loggers.CreateLogger<RestoreDatabaseActivity>();
    private readonly IReadOnlyDictionary<string, BlobVault> _copies = copies ?? new Dictionary<string, BlobVault>();

    protected override Task<RestoreDatabaseOutput> ExecuteAsync(RestoreDatabaseInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, progress, cancellationToken);

    protected override string? ProgressLabel(RestoreDatabaseInput input) =>
        $"{(input.DestinationSecret is { } secret ? RestoreDatabaseInput.SecretDestination(secret) : input.Destination)} restore";

    public const string CheckKind = "restore";

    /// <summary>Takes the safety backup before a replace: a normal backup of the destination target.</summary>
    private readonly BackupDatabaseActivity _safetyBackup = new(vault, targets, time, loggers);

    /// <param name="notice">Told what happened to the safety backup (its id, or why there is none) before anything is restored.</param>
    public async Task<RestoreDatabaseOutput> RunAsync(RestoreDatabaseInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken,
        Action<string>? notice = null)
    {
        var home = input.From is null || input.From == CopyVaults.Primary ? vault
            : _copies.TryGetValue(input.From, out var named) ? named
            : throw CopyVaults.Unknown(input.From, _copies.Keys);
        var fallback = new CopyFallback(home, home == vault ? _copies : new Dictionary<string, BlobVault>());
        string backupId = input.BackupId
            ?? (input.Latest && input.Target is not null
                ? await new BackupCatalog(home, targets).LatestAsync(input.Target, cancellationToken)
                : throw new BackupConfigurationException("which backup? give a backup id, or a target with latest"));
        var backup = await StoredBackup.GetAsync(home, targets, backupId, cancellationToken);
        if (input.RequestId is not null && await FindEarlierAsync(backup, input.RequestId, cancellationToken) is { } earlier)
        {
            return new RestoreDatabaseOutput(backup.Id.Value, input.Destination, true,
                $"request {input.RequestId} already restored this backup ({earlier.BlobName}); not restored again", 0, AlreadyDone: true);
        }

        if (backup.Inconsistency() is { } inconsistency)
        {
            ThrowUnlessOk(new VerificationResult(VerificationStatus.StructureInvalid, inconsistency), null);
        }

        var destination = input.DestinationSecret is { } secret
            ? await targets.ResolveSecretDestinationAsync(secret, RestoreDatabaseInput.SecretDestination(secret), backup.Manifest.Engine, cancellationToken)
            : await targets.ResolveAsync(input.Destination, cancellationToken);
        if (destination.Engine.Name != backup.Manifest.Engine)
        {
            throw new BackupConfigurationException(
                $"backup {backup.Id} is a {backup.Manifest.Engine} backup but target '{destination.Name}' is {destination.Engine.Name} (choose a {backup.Manifest.Engine} target)");
        }

        var selection = input.Selection is { IsEmpty: false } ? input.Selection : null;
        if (selection?.Unsupported(destination.Engine) is { } unsupported)
        {
            throw new BackupConfigurationException(unsupported);
        }

        string? safetyId = input.Replace && input.SafetyBackup
            ? await SafetyBackupAsync(destination, input.SafetyBackupId, notice, cancellationToken)
            : null;

        return await TargetErrors.About($"restore of {backup.Id} into '{destination.Name}'", async () =>
        {
            var clock = Stopwatch.StartNew();
            var startedAt = time.GetUtcNow();
            var source = await fallback.FirstAsync(backup, cancellationToken);
            EngineException? corrupt = null;
            try
            {
                await RestoreFromAsync(backup, source.Vault, destination, input.Replace, selection, progress, cancellationToken);
            }
            catch (EngineException e) when (e.Kind == FailureKind.Corrupt && source.Copy is null)
            {
                // The destination is unchanged (checksums are compared before the swap): a copy that verifies may stand in.
                corrupt = e;
            }

            if (corrupt is not null)
            {
                source = await fallback.AfterFailureAsync(backup, cancellationToken) ?? throw corrupt;
                await RestoreFromAsync(backup, source.Vault, destination, input.Replace, selection, progress, cancellationToken);
            }

            if (source.Warning is not null)
            {
                Logs.ReadFromCopy(_logger, "restore", backup.Id.Value, source.Copy!, source.Warning);
            }

            var restored = await destination.Engine.ReadStatsAsync(destination.Connection, cancellationToken);
            var (equal, detail) = RestoredCounts.Compare(destination.Engine, backup.Manifest.SourceStats, restored, selection);
            string summary = $"{(source.Warning is null ? "" : source.Warning + "; ")}restored into {destination.Description}: {detail}{(safetyId is null ? "" : $"; safety backup {safetyId}")}";
            var record = new CheckRecord(backup.Id.Value, CheckKind, (equal ? RestoreRecordOutcome.Restored : RestoreRecordOutcome.CountsDiffer).ToString(), summary,
                startedAt, time.GetUtcNow(), restored.Counts);
            var metadata = new Dictionary<string, string> { ["destination"] = destination.Name };
            if ((source.Copy ?? input.From) is { } readFrom)
            {
                metadata["source"] = readFrom;
            }

            if (input.RequestId is not null)
            {
                metadata["requestid"] = input.RequestId;
            }

            await backup.RecordAsync(home, record, cancellationToken, metadata);
            return new RestoreDatabaseOutput(backup.Id.Value, destination.Name, equal, summary, clock.Elapsed.TotalSeconds, SafetyBackupId: safetyId, Warning: source.Warning);
        });
    }

    /// <summary>Streams the backup's data from <paramref name="source"/> into the destination; Corrupt (destination unchanged) when its checksums fail.</summary>
    private async Task RestoreFromAsync(StoredBackup backup, BlobVault source, ResolvedTarget destination, bool replace, RestoreSelection? selection,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        await using var reader = await backup.OpenAsync(source, targets.Keys, cancellationToken)
            ?? throw new EngineException(FailureKind.NotFound, $"data blob '{backup.Manifest.Blobs.Data}' is missing (run 'backupfn verify {backup.Id}')");
        if (progress is not null)
        {
            reader.Progress = bytes => progress.Report(new TransferProgress("restore", bytes, backup.Manifest.StoredBytes));
        }

        bool checkedSums = false;
        try
        {
            await destination.Engine.RestoreAsync(reader.Raw, destination.Connection, new RestoreOptions(replace,
                VerifyBeforeSwap: async ct =>
                {
                    checkedSums = true;
                    ThrowUnlessOk(await reader.FinishAsync(ct), null);
                }, Selection: selection), cancellationToken);
        }
        catch (Exception e) when (!checkedSums && e is InvalidDataException or EngineException { Kind: FailureKind.Failed })
        {
            // A corrupt blob fails the codec or the engine's tool before the checksums are
            // compared: compare them now, so the refusal names the corruption, not its symptom.
            if (e is InvalidDataException)
            {
                reader.DecodeError = e.Message;
            }

            ThrowUnlessOk(await reader.FinishAsync(cancellationToken), e);
            throw;
        }
    }

    /// <summary>
    /// Backs the destination up as its target (a normal backup, listed in its catalog) before it is replaced; null when
    /// the destination does not exist yet. A failure stops the restore before it starts, the destination unchanged.
    /// </summary>
    private async Task<string?> SafetyBackupAsync(ResolvedTarget destination, string? safetyBackupId, Action<string>? notice, CancellationToken cancellationToken)
    {
        if (!await destination.Engine.DestinationExistsAsync(destination.Connection, cancellationToken))
        {
            notice?.Invoke($"no safety backup: {destination.Description} does not exist yet, so there is nothing to replace");
            return null;
        }

        BackupDatabaseOutput safety;
        try
        {
            safety = await _safetyBackup.RunAsync(new BackupDatabaseInput(destination.Name, safetyBackupId), null, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var kind = e is EngineException engine ? engine.Kind : e is BackupConfigurationException ? FailureKind.Configuration : FailureKind.Failed;
            throw new EngineException(kind,
                $"safety backup of '{destination.Name}' failed, so nothing was restored and the destination is unchanged: {e.Message} (fix that, or pass --no-safety-backup to replace without one)", e);
        }

        notice?.Invoke($"safety backup of '{destination.Name}' ({destination.Description}) taken before replacing it: {safety.BackupId}");
        return safety.BackupId;
    }

    private static void ThrowUnlessOk(VerificationResult checksums, Exception? inner)
    {
        if (!checksums.IsOk)
        {
            throw new EngineException(FailureKind.Corrupt,
                $"backup failed verification ({checksums.Status}: {checksums.Detail}); the destination was left unchanged", inner);
        }
    }

    private async Task<CheckSummary?> FindEarlierAsync(StoredBackup backup, string requestId, CancellationToken cancellationToken)
    {
        var checks = await vault.ListChecksAsync(backup.Id, cancellationToken);
        return checks.LastOrDefault(c => c.Kind == CheckKind && c.Metadata.TryGetValue("requestid", out string? id) && id == requestId);
    }
}
