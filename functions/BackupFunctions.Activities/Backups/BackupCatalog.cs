using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>One listed backup with the outcome of its latest checks, and every check as listed (oldest first; not serialized).</summary>
public sealed record CatalogEntry(BackupManifest Manifest, VerificationStatus? LastVerify, RestoreTestOutcome? LastRestoreTest,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyList<CheckSummary>? Checks = null)
{
    /// <summary>The anomaly guard's verdict; null when it has not run on this backup (disabled, or an older version).</summary>
    public AnomalyOutcome? LastAnomaly { get; init; }

    /// <summary>The newest "anomaly" check record, for its findings.</summary>
    public string? AnomalyCheckBlob { get; init; }

    /// <summary>The "ack" check record of an operator's acceptance; null while unacknowledged.</summary>
    public string? AckCheckBlob { get; init; }

    /// <summary>Suspect and not acknowledged: the target's pruning is frozen and its health is suspect.</summary>
    public bool IsSuspect => LastAnomaly == AnomalyOutcome.Suspect && AckCheckBlob is null;

    /// <summary>A baseline for the anomaly guard: verified Ok and not an unacknowledged suspect.</summary>
    public bool IsGoodBaseline => LastVerify == VerificationStatus.Ok && !IsSuspect;
}

/// <summary>A catalog entry as `list --json`, GET /api/backups and the Azure app show it (one shape for all three).</summary>
public sealed record CatalogListing(BackupManifest Manifest, VerificationStatus? LastVerify, RestoreTestOutcome? LastRestoreTest,
    AnomalyOutcome? Anomaly, bool Suspect, bool Acknowledged)
{
    public static CatalogListing Of(CatalogEntry e) =>
        new(e.Manifest, e.LastVerify, e.LastRestoreTest, e.LastAnomaly, e.IsSuspect, e.AckCheckBlob is not null);
}

/// <summary>Queries over the vault's manifests: only backups with a manifest exist.</summary>
public sealed class BackupCatalog(BlobVault vault, Targets targets)
{
    /// <summary>Backups of a target (or all), newest first, with their latest check outcomes.</summary>
    public async Task<IReadOnlyList<CatalogEntry>> ListAsync(string? target, CancellationToken cancellationToken)
    {
        var manifests = new List<BackupManifest>();
        await foreach (var m in vault.ListManifestsAsync(target, cancellationToken))
        {
            manifests.Add(m);
        }

        var entries = new List<CatalogEntry>(manifests.Count);
        foreach (var m in manifests.OrderByDescending(m => m.CompletedAt).ThenByDescending(m => m.Id, StringComparer.Ordinal))
        {
            var checks = BackupId.TryParse(m.Id, out var id) ? await vault.ListChecksAsync(id, cancellationToken) : [];
            var anomaly = checks.LastOrDefault(c => c.Kind == CheckAnomalyActivity.CheckKind);
            entries.Add(new CatalogEntry(m,
                Outcome<VerificationStatus>(checks.LastOrDefault(c => c.Kind == VerifyBackupActivity.CheckKind)?.Outcome),
                Outcome<RestoreTestOutcome>(checks.LastOrDefault(c => c.Kind == RestoreTestActivity.CheckKind)?.Outcome), checks)
            {
                LastAnomaly = Outcome<AnomalyOutcome>(anomaly?.Outcome),
                AnomalyCheckBlob = anomaly?.BlobName,
                AckCheckBlob = checks.LastOrDefault(c => c.Kind == AcknowledgeActivity.CheckKind)?.BlobName,
            });
        }

        return entries;
    }

    /// <summary>A check record's outcome by name; null when there is none (or a name this version does not know).</summary>
    private static T? Outcome<T>(string? name) where T : struct, Enum => Enum.TryParse<T>(name, out var value) ? value : null;

    /// <summary>A check record by blob name; null when it is gone (pruned meanwhile).</summary>
    public async Task<CheckRecord?> ReadCheckAsync(string blobName, CancellationToken cancellationToken)
    {
        await using var stream = await vault.OpenReadAsync(blobName, cancellationToken);
        return stream is null ? null : VaultJson.Deserialize<CheckRecord>(await BinaryData.FromStreamAsync(stream, cancellationToken));
    }

    /// <summary>
    /// Throws for a name that is neither a configured target nor a restore destination (whose safety backups are
    /// cataloged under a name no configuration holds): an unknown target is a configuration error, not "no backups".
    /// </summary>
    public void RequireKnown(string target)
    {
        if (!Restores.RestoreDestinations.IsDestinationName(target))
        {
            targets.Resolve(target);
        }
    }

    /// <summary>The newest backup id of a target; NotFound when it has none.</summary>
    public async Task<string> LatestAsync(string target, CancellationToken cancellationToken)
    {
        RequireKnown(target);
        BackupManifest? newest = null;
        await foreach (var m in vault.ListManifestsAsync(target, cancellationToken))
        {
            if (newest is null || m.CompletedAt > newest.CompletedAt)
            {
                newest = m;
            }
        }

        return newest?.Id ?? throw new Engines.EngineException(Engines.FailureKind.NotFound,
            $"target '{target}' has no backups in container '{vault.ContainerName}' (run 'backupfn backup --target {target}')");
    }
}
