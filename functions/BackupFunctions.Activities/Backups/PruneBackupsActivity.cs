using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Telemetry;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Retention;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>Input of a prune: the target, and whether to only plan.</summary>
public sealed record PruneBackupsInput(string Target, bool DryRun);

/// <summary>One backup's fate with every reason (a kept backup always has at least one).</summary>
public sealed record PruneDecision(string BackupId, DateTimeOffset CompletedAt, bool Keep, IReadOnlyList<string> Reasons);

/// <summary>What a prune removed (or would, when dry), what it kept and why, and orphans swept.</summary>
public sealed record PruneBackupsOutput(string Target, IReadOnlyList<string> Removed, IReadOnlyList<string> Kept, string Note)
{
    public IReadOnlyList<PruneDecision> Decisions { get; init; } = [];
    public IReadOnlyList<string> OrphansRemoved { get; init; } = [];

    /// <summary>Running markers of backups that no longer run (their lease lapsed), removed (or that would be, when dry).</summary>
    public IReadOnlyList<string> StaleMarkersRemoved { get; init; } = [];
    public bool DryRun { get; init; }

    /// <summary>The copy vault this prune ran in (Backup:Copies); null for the primary.</summary>
    public string? Vault { get; init; }

    /// <summary>The same prune in each copy vault, under the copy's own Retention (a primary prune only).</summary>
    public IReadOnlyList<PruneBackupsOutput> Copies { get; init; } = [];
}

/// <summary>
/// Applies the target's retention policy (<see cref="RetentionPlanner"/>). A removed backup loses its
/// data and check records first and its manifest last, so a crash halfway leaves a listed backup
/// that the next prune finishes, never an unlisted orphan. Data blobs whose manifest never appeared
/// are swept once older than a day. While a backup of the target runs (its running marker is
/// leased, see <see cref="RunningMarker"/>) nothing is removed; a marker whose lease lapsed belongs
/// to a backup that died, and is removed. While a backup of the target is an unacknowledged suspect of
/// the anomaly guard, nothing is removed either. A dry run plans the same and deletes nothing. Idempotent. Each vault is pruned on
/// its own: a primary prune then prunes every copy (<see cref="CopyPrunes"/>), where a copy's Retention, when set, replaces the target's.
/// </summary>
public sealed class PruneBackupsActivity(BlobVault vault, Targets targets, ImmutabilityOptions immutability, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null)
    : BackupActivity<PruneBackupsInput, PruneBackupsOutput>(loggers, environment)
{
    /// <summary>The copy vault this activity prunes; null for the primary.</summary>
    public string? VaultName { get; init; }

    /// <summary>A copy's Retention, used instead of each target's policy; null to use the target's.</summary>
    public RetentionOptions? RetentionOverride { get; init; }

    /// <summary>The prunes of the copy vaults, run after this one with the same input.</summary>
    public IReadOnlyList<PruneBackupsActivity> CopyPrunes { get; init; } = [];

    protected override Task<PruneBackupsOutput> ExecuteAsync(PruneBackupsInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, cancellationToken);

    /// <summary>An interrupted backup's data is left this long before the orphan sweep removes it.</summary>
    public static TimeSpan OrphanAge { get; } = TimeSpan.FromDays(1);

    public async Task<PruneBackupsOutput> RunAsync(PruneBackupsInput input, CancellationToken cancellationToken)
    {
        var target = targets.Resolve(input.Target);
        using var span = BackupTelemetry.Start("prune", input.Target);
        var now = time.GetUtcNow();
        var entries = await new BackupCatalog(vault, targets).ListAsync(input.Target, cancellationToken);
        var r = RetentionOverride ?? target.Options.Retention ?? new RetentionOptions();
        var policy = new RetentionPolicy(r.KeepLast, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly,
            r.TimeZone is null ? null : TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone));
        var blobs = await vault.ListBlobsAsync(BlobLayout.TargetPrefix(input.Target), cancellationToken);
        var markers = blobs.Where(b => b.Name.EndsWith("/" + BlobLayout.RunningFileName, StringComparison.Ordinal)).ToList();
        // Live while leased; a marker younger than one lease may be in the moment between its creation
        // and its first lease, so it counts as live too.
        var stale = markers.Where(m => !m.Leased && now - m.CreatedOn >= vault.RunningLease).ToList();
        bool running = markers.Count > stale.Count;
        var suspects = entries.Where(e => e.IsSuspect).Select(e => e.Manifest.Id).ToList();
        var guards = new RetentionGuards(TimeSpan.FromDays(immutability.MinRetentionDays), running, suspects);
        var facts = new List<BackupFacts>(entries.Count);
        foreach (var e in entries)
        {
            facts.Add(new BackupFacts(e.Manifest.Id, e.Manifest.CompletedAt,
                Verified: e.LastVerify == VerificationStatus.Ok, RestoreTested: e.LastRestoreTest == RestoreTestOutcome.Passed,
                ImmutableUntil: e.Manifest.Immutability.Status == ImmutabilityStatus.Applied ? e.Manifest.Immutability.RetainUntil : null,
                LegalHold: await vault.HasLegalHoldAsync(e.Manifest.Blobs.Data, cancellationToken)));
        }

        var plan = RetentionPlanner.Plan(facts, policy, now, guards);

        var decisions = plan.Decisions.Select(d => new PruneDecision(d.Id, d.CompletedAt, d.Keep, d.Reasons)).ToList();
        var removed = new List<string>();
        var orphans = new List<string>();
        var staleRemoved = new List<string>();
        if (!input.DryRun)
        {
            for (int i = 0; i < decisions.Count; i++)
            {
                if (!decisions[i].Keep)
                {
                    if (await RemoveAsync(decisions[i].BackupId, cancellationToken))
                    {
                        removed.Add(decisions[i].BackupId);
                    }
                    else
                    {
                        decisions[i] = decisions[i] with { Keep = true, Reasons = ["the store refused the deletion (immutability policy or legal hold)"] };
                    }
                }
            }

            foreach (var marker in stale)
            {
                // Refused (false) when a retried attempt of that backup leased it again meanwhile, or the store forbids deletes.
                if (await vault.DeleteAsync(marker.Name, cancellationToken))
                {
                    staleRemoved.Add(marker.Name);
                }
            }

            if (!running)
            {
                orphans.AddRange(await SweepOrphansAsync(blobs.Except(stale).ToList(), now, cancellationToken));
            }

            BackupTelemetry.PrunedBackups(input.Target, removed.Count);
        }
        else
        {
            removed.AddRange(decisions.Where(d => !d.Keep).Select(d => d.BackupId));
            staleRemoved.AddRange(stale.Select(m => m.Name));
        }

        var copies = new List<PruneBackupsOutput>(CopyPrunes.Count);
        foreach (var copy in CopyPrunes)
        {
            copies.Add(await copy.RunAsync(input, cancellationToken));
        }

        string note = $"policy last {r.KeepLast}, daily {r.KeepDaily}, weekly {r.KeepWeekly}, monthly {r.KeepMonthly}, yearly {r.KeepYearly}" +
                      $" ({r.TimeZone ?? "UTC"}); min age {guards.MinAge.TotalDays:0.##} days" +
                      (running ? "; a backup of this target is running: nothing is removed" : "") +
                      (suspects.Count > 0 ? $"; pruning frozen: {FrozenBecause(suspects)}" : "") +
                      (staleRemoved.Count > 0 ? $"; {staleRemoved.Count} running marker(s) of backups that no longer run {(input.DryRun ? "would be" : "were")} cleared" : "") +
                      (input.DryRun ? "; dry run: nothing removed" : "") +
                      string.Concat(copies.Select(c => $"; copy '{c.Vault}': {c.Removed.Count} {(input.DryRun ? "would be removed" : "removed")}, {c.Kept.Count} kept"));
        return new PruneBackupsOutput(input.Target, removed, decisions.Where(d => d.Keep).Select(d => d.BackupId).ToList(), note)
        {
            Decisions = decisions,
            OrphansRemoved = orphans,
            StaleMarkersRemoved = staleRemoved,
            DryRun = input.DryRun,
            Vault = VaultName,
            Copies = copies,
        };
    }

    /// <summary>Why a target's pruning is frozen, with how to lift the freeze (prune's note, status).</summary>
    public static string FrozenBecause(IReadOnlyList<string> suspects) =>
        $"backup {string.Join(", ", suspects)} {(suspects.Count == 1 ? "is" : "are")} suspect (anomaly guard); nothing is removed until accepted with 'backupfn ack {suspects[0]}' or POST /api/backups/{suspects[0]}/ack";

    /// <summary>Deletes a backup's blobs, the manifest last; false when the store refuses (nothing forced).</summary>
    private async Task<bool> RemoveAsync(string backupId, CancellationToken cancellationToken)
    {
        if (!BackupId.TryParse(backupId, out var id))
        {
            return false;
        }

        string manifest = BlobLayout.Manifest(id);
        foreach (var blob in await vault.ListBlobsAsync(BlobLayout.BackupPrefix(id), cancellationToken))
        {
            if (blob.Name != manifest && !await vault.DeleteAsync(blob.Name, cancellationToken))
            {
                return false;
            }
        }

        return await vault.DeleteAsync(manifest, cancellationToken);
    }

    /// <summary>Removes the blobs of backups that never got a manifest, once older than <see cref="OrphanAge"/>.</summary>
    private async Task<IReadOnlyList<string>> SweepOrphansAsync(IReadOnlyList<VaultBlob> blobs, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var swept = new List<string>();
        // {target}/{yyyy}/{MM}/{dd}/{backupId}/...: the first five segments name the backup.
        var perBackup = blobs.Where(b => b.Name.Split('/').Length > 5).GroupBy(b => string.Join('/', b.Name.Split('/')[..5]));
        foreach (var group in perBackup)
        {
            bool hasManifest = group.Any(b => b.Name.EndsWith("/" + BlobLayout.ManifestFileName, StringComparison.Ordinal));
            if (hasManifest || group.Any(b => now - b.CreatedOn < OrphanAge))
            {
                continue;
            }

            foreach (var blob in group)
            {
                if (await vault.DeleteAsync(blob.Name, cancellationToken))
                {
                    swept.Add(blob.Name);
                }
            }
        }

        return swept;
    }
}
