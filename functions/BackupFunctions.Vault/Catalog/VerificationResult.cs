namespace BackupFunctions.Vault.Catalog;

/// <summary>The outcome of verifying one backup: a value with a reason, never an exception.</summary>
public enum VerificationStatus
{
    Ok,
    ChecksumMismatch,
    SizeMismatch,
    Missing,
    StructureInvalid,
}

/// <summary>Outcome and the reason a person can act on.</summary>
public sealed record VerificationResult(VerificationStatus Status, string Detail)
{
    public bool IsOk => Status == VerificationStatus.Ok;

    public static VerificationResult Ok(string detail) => new(VerificationStatus.Ok, detail);
}

/// <summary>
/// A check record blob: a later fact about a backup, written as a new blob, never an edit. <c>By</c> names who
/// asked (an acknowledgement); <c>Findings</c> are the numbers an anomaly check found moved.
/// </summary>
public sealed record CheckRecord(
    string BackupId,
    string Kind,
    string Outcome,
    string Detail,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    IReadOnlyDictionary<string, long>? Counts = null,
    // Written only by the kinds that have them (ack, anomaly): the other records keep the shape they had before.
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? By = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<Anomalies.AnomalyFinding>? Findings = null);
