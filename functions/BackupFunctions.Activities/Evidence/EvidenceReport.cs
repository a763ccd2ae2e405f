using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Activities.Evidence;

/// <summary>
/// Evidence for an auditor (`backupfn report`): per target, every backup in the period with its
/// checks, immutability, holds and encryption key, the recovery objectives achieved, and the gaps.
/// Names, times, outcomes and hashes only: never a connection string or key.
/// </summary>
public sealed record EvidenceReport(DateTimeOffset GeneratedAt, DateTimeOffset Since, string Container, IReadOnlyList<TargetEvidence> Targets);

/// <summary>One target's evidence; <see cref="Gaps"/> are the stretches without a good backup longer than <see cref="GapThreshold"/>.</summary>
public sealed record TargetEvidence(
    string Target,
    string Engine,
    IReadOnlyList<BackupEvidence> Backups,
    IReadOnlyList<string> EncryptionKeyIds,
    ObjectivesReport Objectives,
    TimeSpan GapThreshold,
    string GapThresholdSource,
    IReadOnlyList<EvidenceGap> Gaps);

/// <summary>
/// One backup: what was stored (sizes, SHA-256 of the stored bytes, encryption key id), how it is
/// protected (the manifest's immutability record; legal hold as last recorded and as the store reports
/// it), and every check of it (verify, restore test, restore, legal hold) with outcome and time.
/// </summary>
public sealed record BackupEvidence(
    string Id,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    long RawBytes,
    long StoredBytes,
    string Sha256Stored,
    EncryptionInfo? Encryption,
    ImmutabilityRecord Immutability,
    bool LegalHold,
    bool LegalHoldInStore,
    IReadOnlyList<CheckEvidence> Checks);

/// <summary>A check record as listed: its kind, outcome, when it ended, how long it took (null for records older than that metadata), and for restores the destination.</summary>
public sealed record CheckEvidence(string Kind, string Outcome, DateTimeOffset At, double? Seconds, string? Destination);

/// <summary>A stretch with no good (verified) backup: from one good backup (or the period's start) to the next (or now).</summary>
public sealed record EvidenceGap(DateTimeOffset From, DateTimeOffset To, TimeSpan Length);
