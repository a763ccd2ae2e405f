using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Telemetry;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Activities.Telemetry;

/// <summary>Metrics, traces and log scopes of real runs (PostgreSQL, Azurite), and their OTLP export to a local receiver.</summary>
public class TelemetryTests
{
    private const string Table = "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 300);";

    [Fact]
    public async Task AFullCycle_RecordsDurationBytesOutcomesLastSuccessAndPrune_WithASpanPerStep()
    {
        await using var db = await TestDatabase.CreateAsync("telemetry", Table);
        await using var vault = await TestVault.CreateAsync(new() { ["telemetered"] = TestVault.Postgres(db.Connection) });
        var measurements = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BackupTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            measurements.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        meters.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        meters.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        meters.Start();
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == BackupTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("telemetered"), null, CancellationToken.None);
        await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, CancellationToken.None);
        await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, CancellationToken.None);
        await vault.Runtime.PruneBackupsActivity().RunAsync(new PruneBackupsInput("telemetered", DryRun: false), CancellationToken.None);
        await vault.Runtime.HealthCheck().EvaluateAsync(CancellationToken.None);
        meters.RecordObservableInstruments();

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None))!;
        var mine = measurements.Where(m => Equals(m.Tags.GetValueOrDefault("target"), "telemetered")).ToList();
        double Single(string name) => mine.Single(m => m.Instrument == name).Value;
        Assert.Equal(manifest.RawBytes, Single("backupfn.backup.bytes_raw"));
        Assert.Equal(manifest.StoredBytes, Single("backupfn.backup.bytes_stored"));
        Assert.InRange(Single("backupfn.backup.duration"), 0.001, 60);
        Assert.True(Single("backupfn.backup.throughput") > 0);
        Assert.Equal(manifest.CompletedAt.ToUnixTimeSeconds(), mine.Last(m => m.Instrument == "backupfn.backup.last_success").Value);
        Assert.Equal("succeeded", mine.Single(m => m.Instrument == "backupfn.backup.runs").Tags["outcome"]);
        Assert.Equal("Ok", mine.Single(m => m.Instrument == "backupfn.verify.runs").Tags["outcome"]);
        Assert.Equal("passed", mine.Single(m => m.Instrument == "backupfn.restore_test.runs").Tags["outcome"]);
        Assert.Equal(0, Single("backupfn.prune.removed")); // the only backup is kept
        Assert.Equal("postgres", mine.First(m => m.Instrument == "backupfn.backup.duration").Tags["engine"]);
        Assert.Equal("ok", mine.Single(m => m.Instrument == "backupfn.target.status").Tags["status"]); // the alert rules read these two
        Assert.InRange(Single("backupfn.target.age"), 0, 0.1);
        var names = spans.Where(s => Equals(s.GetTagItem("backupfn.target"), "telemetered")).OrderBy(s => s.StartTimeUtc).Select(s => s.DisplayName).ToList();
        Assert.Equal(["backup telemetered", "verify telemetered", "restore-test telemetered", "prune telemetered"], names);
        Assert.All(spans.Where(s => s.DisplayName != "prune telemetered" && Equals(s.GetTagItem("backupfn.target"), "telemetered")),
            s => Assert.Equal(backup.BackupId, s.GetTagItem("backupfn.backup_id")));
        Assert.DoesNotContain(measurements.SelectMany(m => m.Tags.Values), v => v is string s && s.Contains("Password", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ACliBackup_ExportsMetricsAndTracesOverOtlp_AndLogsCarryTargetBackupAndRunScopes()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync("telemetry_otlp", Table);
        await using var cli = new CliRunner(new() { ["exported"] = CliRunner.Postgres(db.Connection) });
        var variables = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.BaseUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        foreach (var (k, v) in variables)
        {
            Environment.SetEnvironmentVariable(k, v);
        }

        (int Exit, string Out, string Err) result;
        try
        {
            result = await cli.RunAsync("backup", "--verbose");
        }
        finally
        {
            foreach (string k in variables.Keys)
            {
                Environment.SetEnvironmentVariable(k, null);
            }
        }

        Assert.True(result.Exit == 0, result.Err);
        var metrics = receiver.Received.Where(r => r.Path == "/v1/metrics").ToList();
        var traces = receiver.Received.Where(r => r.Path == "/v1/traces").ToList();
        Assert.NotEmpty(metrics);
        Assert.NotEmpty(traces);
        Assert.All(receiver.Received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        string metricText = Encoding.UTF8.GetString(metrics.SelectMany(m => m.Body).ToArray()); // protobuf strings are plain UTF-8
        string traceText = Encoding.UTF8.GetString(traces.SelectMany(m => m.Body).ToArray());
        Assert.Contains("backupfn.backup.bytes_stored", metricText, StringComparison.Ordinal);
        Assert.Contains("exported", metricText, StringComparison.Ordinal);
        Assert.Contains("backup exported", traceText, StringComparison.Ordinal);
        Assert.Contains("restore-test exported", traceText, StringComparison.Ordinal);
        // --verbose prints each log line with its scopes.
        Assert.Matches(@"\[RunId=run-\d{8}T\d{6}Z-[0-9a-f]{4}-exported, Activity=BackupDatabase, Target=exported.*\] .*Backing up exported", result.Err);
    }
}
