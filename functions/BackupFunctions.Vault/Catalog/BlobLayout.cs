using System.Globalization;

namespace BackupFunctions.Vault.Catalog;

/// <summary>
/// Blob names of the vault (README "Blob layout"). Every name derives from the backup id, so a
/// retried write finds its own earlier work instead of making a second copy.
/// </summary>
public static class BlobLayout
{
    public const string ManifestFileName = "manifest.json";
    public const string RunsPrefix = "runs/";

    /// <summary><c>{target}/{yyyy}/{MM}/{dd}/{backupId}/</c></summary>
    public static string BackupPrefix(BackupId id) =>
        string.Create(CultureInfo.InvariantCulture, $"{id.Target}/{id.CreatedAt:yyyy}/{id.CreatedAt:MM}/{id.CreatedAt:dd}/{id.Value}/");

    public static string Data(BackupId id, string extension) => $"{BackupPrefix(id)}data.{extension}";

    public static string Manifest(BackupId id) => BackupPrefix(id) + ManifestFileName;

    public const string RunningFileName = "running.json";

    /// <summary>Marker of a backup in progress: written at its start, removed once its manifest exists.</summary>
    public static string Running(BackupId id) => BackupPrefix(id) + RunningFileName;

    /// <summary><c>checks/{utc}-{kind}.json</c>; millisecond stamps keep two checks in one second apart.</summary>
    public static string Check(BackupId id, DateTimeOffset at, string kind) =>
        string.Create(CultureInfo.InvariantCulture, $"{BackupPrefix(id)}checks/{at.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{kind}.json");

    /// <summary>
    /// <c>runs/{yyyy}/{MM}/{dd}/{runId}.json</c>, dated by the stamp in a run id shaped
    /// <c>run-yyyyMMddTHHmmssZ-xxxx</c> (so it can be found from the id alone), else by <paramref name="at"/>.
    /// </summary>
    public static string RunReport(string runId, DateTimeOffset at)
    {
        if (runId.Length >= 20 && runId.StartsWith("run-", StringComparison.Ordinal) &&
            DateTimeOffset.TryParseExact(runId[4..20], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var stamped))
        {
            at = stamped;
        }

        return RunReportAt(runId, at);
    }

    private static string RunReportAt(string runId, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{RunsPrefix}{at.UtcDateTime:yyyy}/{at.UtcDateTime:MM}/{at.UtcDateTime:dd}/{runId}.json");

    /// <summary>The listing prefix for one target, or every target when null.</summary>
    public static string TargetPrefix(string? target) => target is null ? "" : target + "/";
}
