using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BackupFunctions.Activities.Telemetry;

/// <summary>
/// Metrics and traces of every run, with the BCL's own Meter and ActivitySource (named
/// <see cref="Name"/>): a host exports them with OpenTelemetry (OTLP) when configured; nothing here
/// depends on an exporter. Tags are the target and, where it means something, the outcome: never a
/// connection string.
/// </summary>
public static class BackupTelemetry
{
    public const string Name = "BackupFunctions";

    private static readonly Meter Meter = new(Name, "1.0");
    public static readonly ActivitySource Source = new(Name, "1.0");

    private static readonly Histogram<double> BackupDuration = Meter.CreateHistogram<double>("backupfn.backup.duration", "s", "Time to dump, compress, upload and record one backup");
    private static readonly Counter<long> BytesRaw = Meter.CreateCounter<long>("backupfn.backup.bytes_raw", "By", "Bytes of dump before compression");
    private static readonly Counter<long> BytesStored = Meter.CreateCounter<long>("backupfn.backup.bytes_stored", "By", "Bytes stored in the vault");
    private static readonly Histogram<double> Throughput = Meter.CreateHistogram<double>("backupfn.backup.throughput", "By/s", "Raw bytes per second of one backup");
    private static readonly Counter<long> Backups = Meter.CreateCounter<long>("backupfn.backup.runs", "{backup}", "Backups attempted, by outcome");
    private static readonly Counter<long> Verifications = Meter.CreateCounter<long>("backupfn.verify.runs", "{verification}", "Verifications, by outcome");
    private static readonly Counter<long> RestoreTests = Meter.CreateCounter<long>("backupfn.restore_test.runs", "{test}", "Restore tests, by outcome");
    private static readonly Counter<long> Pruned = Meter.CreateCounter<long>("backupfn.prune.removed", "{backup}", "Backups removed by prune");
    private static readonly Histogram<double> TargetAge = Meter.CreateHistogram<double>("backupfn.target.age", "h", "Hours since the last good (verified) backup, per health evaluation");
    private static readonly Counter<long> TargetStatus = Meter.CreateCounter<long>("backupfn.target.status", "{evaluation}", "Health evaluations, by status (ok, late, failing, none)");
    private static readonly Histogram<long> Poison = Meter.CreateHistogram<long>("backupfn.restore.poison_messages", "{message}", "Messages waiting in restore-requests-poison");
    private static readonly ConcurrentDictionary<string, long> LastSuccess = new(StringComparer.Ordinal);

    static BackupTelemetry() =>
        Meter.CreateObservableGauge("backupfn.backup.last_success", () => LastSuccess.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("target", p.Key))),
            "s", "Unix time of the last successful backup per target (seen by this process)");

    public static Activity? Start(string operation, string target, string? backupId = null)
    {
        var activity = Source.StartActivity($"{operation} {target}");
        activity?.SetTag("backupfn.target", target);
        if (backupId is not null)
        {
            activity?.SetTag("backupfn.backup_id", backupId);
        }

        return activity;
    }

    public static void BackupSucceeded(string target, string engine, double seconds, long raw, long stored, DateTimeOffset completedAt)
    {
        var tags = new TagList { { "target", target }, { "engine", engine } };
        BackupDuration.Record(seconds, tags);
        BytesRaw.Add(raw, tags);
        BytesStored.Add(stored, tags);
        if (seconds > 0)
        {
            Throughput.Record(raw / seconds, tags);
        }

        Backups.Add(1, new TagList { { "target", target }, { "outcome", "succeeded" } });
        LastSuccess[target] = completedAt.ToUnixTimeSeconds();
    }

    public static void BackupFailed(string target) => Backups.Add(1, new TagList { { "target", target }, { "outcome", "failed" } });

    public static void Verified(string target, string status) => Verifications.Add(1, new TagList { { "target", target }, { "outcome", status } });

    public static void RestoreTested(string target, bool passed) => RestoreTests.Add(1, new TagList { { "target", target }, { "outcome", passed ? "passed" : "failed" } });

    public static void PrunedBackups(string target, int count) => Pruned.Add(count, new TagList { { "target", target } });

    /// <summary>One health evaluation of a target: the alert rule "no good backup in 26 h" reads these.</summary>
    public static void HealthEvaluated(string target, string status, double? ageHours)
    {
        TargetStatus.Add(1, new TagList { { "target", target }, { "status", status } });
        if (ageHours is { } age)
        {
            TargetAge.Record(age, new TagList { { "target", target } });
        }
    }

    public static void PoisonMessages(int count) => Poison.Record(count);

    /// <summary>Marks the current trace span failed with a one-line reason.</summary>
    public static void Fail(Activity? activity, string reason) => activity?.SetStatus(ActivityStatusCode.Error, reason);
}
