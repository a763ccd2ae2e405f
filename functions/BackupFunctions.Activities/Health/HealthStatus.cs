using System.Text.Json.Serialization;

namespace BackupFunctions.Activities.Health;

/// <summary>A target's health; serialized (and shown) as the lower-case word, the status/health contract.</summary>
public enum HealthStatus
{
    [JsonStringEnumMemberName("ok")]
    Ok,

    [JsonStringEnumMemberName("late")]
    Late,

    [JsonStringEnumMemberName("failing")]
    Failing,

    /// <summary>No backup yet.</summary>
    [JsonStringEnumMemberName("none")]
    None,
}

public static class HealthStatusWords
{
    /// <summary>The word the contract uses ("ok", "late", "failing", "none").</summary>
    public static string Word(this HealthStatus status) => status switch
    {
        HealthStatus.Ok => "ok",
        HealthStatus.Late => "late",
        HealthStatus.Failing => "failing",
        _ => "none",
    };

    /// <summary>Late or failing: what monitoring alerts on.</summary>
    public static bool IsBad(this HealthStatus status) => status is HealthStatus.Late or HealthStatus.Failing;

    /// <summary>Reads a word written by <see cref="Word"/>; null when it is none of them.</summary>
    public static HealthStatus? Parse(string? word) => word switch
    {
        "ok" => HealthStatus.Ok,
        "late" => HealthStatus.Late,
        "failing" => HealthStatus.Failing,
        "none" => HealthStatus.None,
        _ => null,
    };
}
