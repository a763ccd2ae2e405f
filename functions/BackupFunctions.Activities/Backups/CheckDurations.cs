using System.Globalization;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// A check record's duration, also kept in its blob metadata ("seconds") so listings measure recovery
/// times without downloading records. Records written before this have none, and are not measured.
/// </summary>
public static class CheckDurations
{
    public const string MetadataKey = "seconds";

    /// <summary>The metadata value of a record: its duration in seconds, invariant culture.</summary>
    public static string Format(CheckRecord record) =>
        Math.Max(0, (record.CompletedAt - record.StartedAt).TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The duration a listed check carries; null when its record predates the metadata.</summary>
    public static TimeSpan? Of(CheckSummary check) =>
        check.Metadata.TryGetValue(MetadataKey, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
