using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>Input of a legal-hold change: which backup, on or off, and who asked (recorded).</summary>
public sealed record LegalHoldInput(string BackupId, bool On, string? RequestedBy = null);

/// <summary>
/// Sets or clears a legal hold on a backup's data and manifest. While held, neither the store nor
/// prune deletes them, whatever the retention policy. Each change is recorded as a "legal-hold"
/// check record. Idempotent: setting the same state again changes nothing in the store.
/// </summary>
public sealed class LegalHoldActivity(BlobVault vault, Targets targets, TimeProvider time)
{
    public const string CheckKind = "legal-hold";

    public async Task<string> RunAsync(LegalHoldInput input, CancellationToken cancellationToken)
    {
        var backup = await StoredBackup.GetAsync(vault, targets, input.BackupId, cancellationToken);
        var startedAt = time.GetUtcNow();
        await vault.SetLegalHoldAsync([backup.Manifest.Blobs.Data, backup.Manifest.Blobs.Manifest], input.On, cancellationToken);
        string outcome = input.On ? "On" : "Off";
        await backup.RecordAsync(vault, new CheckRecord(backup.Id.Value, CheckKind, outcome,
            $"legal hold {outcome.ToLowerInvariant()}{(input.RequestedBy is null ? "" : $", requested by {input.RequestedBy}")}",
            startedAt, time.GetUtcNow()), cancellationToken);
        return outcome;
    }
}
