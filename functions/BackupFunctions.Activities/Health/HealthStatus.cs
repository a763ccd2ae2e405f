using System.Text.Json.Serialization;

namespace BackupFunctions.Activities.Health;

/// <summary>A target's health; serialized (and shown) as the lower-case word, the status/health contract.</summary>
public enum HealthStatus
{
    [JsonStringEnumMemberName("ok")]
    Ok,

    /// <summary>
    /// The target's only backups are newer than <see cref="HealthCheck.Grace"/> and not verified yet: the
    /// run is between its backup and its verify. Not an alert (exit 0, HTTP 200, no notification);
    /// it becomes failing when the grace passes without a verified backup.
    /// </summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    [JsonStringEnumMemberName("late")]
    Late,

    [JsonStringEnumMemberName("failing")]
    Failing,

    /// <summary>Never backed up: no backup of the target exists. Not ok: the worst case is a new target whose first backup fails.</summary>
    [JsonStringEnumMemberName("missing")]
    Missing,

    /// <summary>
    /// Backed up and verified, but short of the target's recovery objectives (RPO or RTO). A warning,
    /// not an alert: exit 0, HTTP 200, announced once as a notification of kind "warning".
    /// </summary>
    [JsonStringEnumMemberName("warning")]
    Warning,
}

public static class HealthStatusWords
{
    /// <summary>The word the contract uses ("ok", "pending", "late", "failing", "missing", "warning").</summary>
    public static string Word(this HealthStatus status) => status switch
    {
        HealthStatus.Ok => "ok",
        HealthStatus.Pending => "pending",
        HealthStatus.Late => "late",
        HealthStatus.Failing => "failing",
        HealthStatus.Warning => "warning",
        _ => "missing",
    };

    /// <summary>Late, failing or missing: what monitoring alerts on (exit 3, HTTP 503, a notification).</summary>
    public static bool IsBad(this HealthStatus status) => status is not (HealthStatus.Ok or HealthStatus.Pending or HealthStatus.Warning);

    /// <summary>Reads a word written by <see cref="Word"/>; null when it is none of them.</summary>
    public static HealthStatus? Parse(string? word) => word switch
    {
        "ok" => HealthStatus.Ok,
        "pending" => HealthStatus.Pending,
        "late" => HealthStatus.Late,
        "failing" => HealthStatus.Failing,
        "warning" => HealthStatus.Warning,
        "missing" or "none" => HealthStatus.Missing, // "none": the word before "missing" replaced it
        _ => null,
    };
}
