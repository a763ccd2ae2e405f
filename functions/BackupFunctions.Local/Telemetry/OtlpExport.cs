using BackupFunctions.Activities.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BackupFunctions.Local.Telemetry;

/// <summary>
/// Exports the BackupFunctions meter and traces over OTLP when the standard OpenTelemetry variable
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS and
/// OTEL_METRIC_EXPORT_INTERVAL are honoured by the exporter). Disposing flushes, so a one-shot
/// `backupfn backup` still delivers its numbers.
/// </summary>
internal sealed class OtlpExport : IDisposable
{
    private readonly MeterProvider _meters;
    private readonly TracerProvider _traces;

    private OtlpExport(MeterProvider meters, TracerProvider traces)
    {
        _meters = meters;
        _traces = traces;
    }

    public static OtlpExport? StartIfConfigured()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return null;
        }

        var resource = ResourceBuilder.CreateDefault().AddService("backupfn", serviceVersion: typeof(OtlpExport).Assembly.GetName().Version?.ToString());
        var meters = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(BackupTelemetry.Name).AddOtlpExporter().Build();
        var traces = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(BackupTelemetry.Name).AddOtlpExporter().Build();
        return new OtlpExport(meters, traces);
    }

    public void Dispose()
    {
        _traces.ForceFlush(5000);
        _meters.ForceFlush(5000);
        _traces.Dispose();
        _meters.Dispose();
    }
}
