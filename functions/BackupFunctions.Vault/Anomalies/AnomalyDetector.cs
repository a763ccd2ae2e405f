using System.Globalization;

using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Vault.Anomalies;

/// <summary>When a backup counts as suspect: percent changes against the median of the last <c>Window</c> good backups.</summary>
public sealed record AnomalyThresholds(double MaxShrinkPercent, double MaxGrowPercent, int Window)
{
    /// <summary>Counts whose median is below this are not compared (a 10-row table halving is noise, not an attack).</summary>
    public const long MinCount = 100;

    /// <summary>Raw sizes whose median is below this are not compared (an almost empty dump's size is mostly headers).</summary>
    public const long MinRawBytes = 4096;
}

/// <summary>The numbers of one backup that are compared: its raw (uncompressed) size and its per-table / per-database / per-label counts.</summary>
public sealed record AnomalySample(string BackupId, long RawBytes, IReadOnlyDictionary<string, long> Counts);

/// <summary>One number that moved beyond its threshold; <see cref="ChangePercent"/> is negative for a shrink (-100 = vanished).</summary>
public sealed record AnomalyFinding(string Name, double Median, long Value, double ChangePercent)
{
    /// <summary>The name used for the raw size among the findings.</summary>
    public const string RawBytesName = "raw bytes";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} {Value} vs median {Median:0.##} ({(ChangePercent >= 0 ? "+" : "")}{ChangePercent:0.#}%)");
}

/// <summary>The guard's verdict on one backup, with the baselines it compared against and every finding.</summary>
public sealed record AnomalyVerdict(AnomalyOutcome Outcome, IReadOnlyList<string> Baselines, IReadOnlyList<AnomalyFinding> Findings, string Detail)
{
    public bool IsSuspect => Outcome == AnomalyOutcome.Suspect;
}

/// <summary>
/// Pure comparison (see README.md beside this file): the backup's raw size and every count against the
/// median of the baselines (newest first; the first <c>Window</c> are used). A shrink beyond
/// <c>MaxShrinkPercent</c> or a growth beyond <c>MaxGrowPercent</c> makes the backup suspect. A count a
/// baseline lacks counts as 0 there; a count the backup lacks counts as 0 (a dropped table is a shrink
/// of 100%). Numbers whose median is under the floors (<see cref="AnomalyThresholds.MinCount"/>,
/// <see cref="AnomalyThresholds.MinRawBytes"/>) are not compared, so new and tiny tables make no noise.
/// </summary>
public static class AnomalyDetector
{
    public static AnomalyVerdict Compare(AnomalySample backup, IEnumerable<AnomalySample> baselines, AnomalyThresholds thresholds)
    {
        var used = baselines.Take(thresholds.Window).ToList();
        if (used.Count == 0)
        {
            return new AnomalyVerdict(AnomalyOutcome.NoBaseline, [], [], "no earlier good backup to compare with: nothing to compare");
        }

        var findings = new List<AnomalyFinding>();
        Check(findings, AnomalyFinding.RawBytesName, Median(used.Select(b => (double)b.RawBytes)), backup.RawBytes, AnomalyThresholds.MinRawBytes, thresholds);
        var names = used.SelectMany(b => b.Counts.Keys).Concat(backup.Counts.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (string name in names)
        {
            double median = Median(used.Select(b => (double)b.Counts.GetValueOrDefault(name)));
            Check(findings, name, median, backup.Counts.GetValueOrDefault(name), AnomalyThresholds.MinCount, thresholds);
        }

        string against = $"median of {used.Count} good backup(s) ({string.Join(", ", used.Select(b => b.BackupId))})";
        return findings.Count == 0
            ? new AnomalyVerdict(AnomalyOutcome.Normal, used.Select(b => b.BackupId).ToList(), [],
                string.Create(CultureInfo.InvariantCulture, $"within -{thresholds.MaxShrinkPercent:0.##}% / +{thresholds.MaxGrowPercent:0.##}% of the {against}"))
            : new AnomalyVerdict(AnomalyOutcome.Suspect, used.Select(b => b.BackupId).ToList(), findings,
                $"moved beyond the thresholds against the {against}: {string.Join("; ", findings)}");
    }

    private static void Check(List<AnomalyFinding> findings, string name, double median, long value, long floor, AnomalyThresholds thresholds)
    {
        if (median < floor)
        {
            return;
        }

        double change = (value - median) / median * 100;
        if (-change > thresholds.MaxShrinkPercent || change > thresholds.MaxGrowPercent)
        {
            findings.Add(new AnomalyFinding(name, median, value, Math.Round(change, 1)));
        }
    }

    /// <summary>The middle value; the mean of the two middle values for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
