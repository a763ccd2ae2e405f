using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>Input of an acknowledgement: which suspect backup, and who accepts it (recorded).</summary>
public sealed record AcknowledgeInput(string BackupId, string By);

/// <summary>What became of an acknowledgement; serialized by name.</summary>
public enum AcknowledgeOutcome
{
    /// <summary>Recorded now: the target's pruning resumes and its health leaves suspect.</summary>
    Acknowledged,

    /// <summary>It had been acknowledged before: nothing new is recorded; By and At are the earlier acknowledgement's.</summary>
    AlreadyAcknowledged,

    /// <summary>The anomaly guard did not find the backup suspect: there is nothing to accept.</summary>
    NotSuspect,
}

/// <summary>The outcome, who accepted the backup and when (for AlreadyAcknowledged: the first acknowledgement).</summary>
public sealed record AcknowledgeOutput(string BackupId, string Target, AcknowledgeOutcome Outcome, string? By, DateTimeOffset? At, string Detail);

/// <summary>
/// An operator accepts a suspect backup (<c>backupfn ack</c>, <c>POST /api/backups/{id}/ack</c>): an "ack"
/// check record with who and when (the time from TimeProvider), a new blob, never an edit of the
/// anomaly record. From then on the backup counts as a good baseline, pruning of its target is no
/// longer frozen by it, and health no longer says suspect for it. Idempotent: a second acknowledgement
/// records nothing and answers with the first one's who and when.
/// </summary>
public sealed class AcknowledgeActivity(BlobVault vault, Targets targets, TimeProvider time)
{
    public const string CheckKind = "ack";

    /// <summary>The outcome an "ack" check record stores.</summary>
    public const string RecordOutcome = "Accepted";

    public async Task<AcknowledgeOutput> RunAsync(AcknowledgeInput input, CancellationToken cancellationToken)
    {
        string by = input.By.Trim();
        if (by.Length == 0 || by.Length > 128 || by.Any(char.IsControl))
        {
            throw new BackupConfigurationException("who accepts the backup is missing or not one short line (give --by NAME, or {\"by\": \"NAME\"} over HTTP)");
        }

        var backup = await StoredBackup.GetAsync(vault, targets, input.BackupId, cancellationToken);
        var catalog = new BackupCatalog(vault, targets);
        var entry = (await catalog.ListAsync(backup.Manifest.Target, cancellationToken)).First(e => e.Manifest.Id == backup.Id.Value);
        if (entry.LastAnomaly != AnomalyOutcome.Suspect)
        {
            return new AcknowledgeOutput(backup.Id.Value, backup.Manifest.Target, AcknowledgeOutcome.NotSuspect, null, null,
                $"backup {backup.Id} is not suspect ({(entry.LastAnomaly is { } a ? $"anomaly check: {a}" : "no anomaly check")}): there is nothing to acknowledge");
        }

        if (entry.AckCheckBlob is { } earlier && await catalog.ReadCheckAsync(earlier, cancellationToken) is { } first)
        {
            return new AcknowledgeOutput(backup.Id.Value, backup.Manifest.Target, AcknowledgeOutcome.AlreadyAcknowledged, first.By, first.CompletedAt, first.Detail);
        }

        var at = time.GetUtcNow();
        string detail = $"suspect backup accepted by {by}; pruning of target '{backup.Manifest.Target}' is no longer frozen by it";
        await backup.RecordAsync(vault, new CheckRecord(backup.Id.Value, CheckKind, RecordOutcome, detail, at, at, By: by), cancellationToken);
        return new AcknowledgeOutput(backup.Id.Value, backup.Manifest.Target, AcknowledgeOutcome.Acknowledged, by, at, detail);
    }
}
