using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Evidence;

/// <summary>
/// Gathers the <see cref="EvidenceReport"/> from the vault: manifests and check listings (the
/// catalog), one property read per backup for the store's legal hold, and the objectives measured
/// as health measures them. Read-only.
/// </summary>
public sealed class EvidenceCollector(BlobVault vault, Targets targets, TimeProvider time)
{
    /// <summary>Evidence of every configured target (or the named ones) for backups completed since <paramref name="since"/> ago.</summary>
    public async Task<EvidenceReport> CollectAsync(TimeSpan since, IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var from = now - since;
        var catalog = new BackupCatalog(vault, targets);
        var result = new List<TargetEvidence>();
        foreach (string target in only is { Count: > 0 } ? only : targets.Names)
        {
            var resolved = targets.Resolve(target); // an unknown name is a configuration error
            var entries = await catalog.ListAsync(target, cancellationToken);
            var backups = new List<BackupEvidence>();
            foreach (var e in entries.Where(e => e.Manifest.CompletedAt >= from).OrderBy(e => e.Manifest.CompletedAt))
            {
                backups.Add(await BackupAsync(e, cancellationToken));
            }

            var (threshold, source) = GapThreshold(target, now);
            var good = entries.Where(e => e.LastVerify == VerificationStatus.Ok).Select(e => e.Manifest.CompletedAt).ToList();
            result.Add(new TargetEvidence(target, resolved.Engine.Name, backups,
                backups.Select(b => b.Encryption?.KeyId).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                ObjectivesReport.Evaluate(targets.ObjectivesOf(target), entries, now), threshold, source, Gaps(good, from, now, threshold)));
        }

        return new EvidenceReport(now, from, vault.ContainerName, result);
    }

    private async Task<BackupEvidence> BackupAsync(CatalogEntry entry, CancellationToken cancellationToken)
    {
        var m = entry.Manifest;
        var checks = (entry.Checks ?? []).Select(c => new CheckEvidence(c.Kind, c.Outcome, c.At, CheckDurations.Of(c)?.TotalSeconds,
            c.Metadata.TryGetValue("destination", out string? d) ? d : null)).ToList();
        bool recordedHold = checks.LastOrDefault(c => c.Kind == LegalHoldActivity.CheckKind)?.Outcome == "On";
        bool storeHold = await vault.HasLegalHoldAsync(m.Blobs.Data, cancellationToken);
        return new BackupEvidence(m.Id, m.StartedAt, m.CompletedAt, m.RawBytes, m.StoredBytes, m.Sha256Stored, m.Encryption, m.Immutability, recordedHold, storeHold, checks);
    }

    /// <summary>The RPO when the target has one; else the longest interval of its schedule plus the health grace.</summary>
    private (TimeSpan, string) GapThreshold(string target, DateTimeOffset now)
    {
        if (targets.ObjectivesOf(target)?.Rpo is { } rpo)
        {
            return (rpo, "RPO objective");
        }

        var next = Schedules.Next(targets.ScheduleOf(target), now.UtcDateTime, 8);
        var longest = next.Zip(next.Skip(1), (a, b) => b - a).DefaultIfEmpty(TimeSpan.FromDays(1)).Max();
        return (longest + HealthCheck.Grace, "schedule interval + 2 h grace");
    }

    /// <summary>
    /// Stretches longer than <paramref name="threshold"/> without a good backup in [from, now]: between
    /// consecutive good backups and from the newest to now. The stretch before the first good backup
    /// counts only when an older one exists (a new target has no gap before its first backup); a target
    /// with no good backup at all has one gap, the whole period.
    /// </summary>
    public static IReadOnlyList<EvidenceGap> Gaps(IEnumerable<DateTimeOffset> goodBackups, DateTimeOffset from, DateTimeOffset now, TimeSpan threshold)
    {
        var sorted = goodBackups.Where(t => t <= now).Order().ToList();
        var edges = sorted.Where(t => t >= from).ToList();
        if (sorted.LastOrDefault(t => t < from) is var before && before != default)
        {
            edges.Insert(0, before);
        }

        if (edges.Count == 0)
        {
            edges.Add(from);
        }

        edges.Add(now);
        var gaps = new List<EvidenceGap>();
        for (int i = 1; i < edges.Count; i++)
        {
            var length = edges[i] - edges[i - 1];
            if (length > threshold)
            {
                gaps.Add(new EvidenceGap(edges[i - 1], edges[i], length));
            }
        }

        return gaps;
    }
}
