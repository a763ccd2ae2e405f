using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using Azure.Monitor.OpenTelemetry.Exporter;
using BackupFunctions.Activities.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The same "Backup" configuration section as the local host, from app settings (Backup__...).
// Invalid configuration fails at start with the key to fix.
var host = new HostBuilder()
    .ConfigureFunctionsWebApplication()
    .ConfigureServices((context, services) =>
    {
        var options = BackupConfiguration.Bind(context.Configuration);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => BackupRuntime.Create(options, TimeProvider.System, sp.GetRequiredService<ILoggerFactory>()));

        // Each activity gets the runtime's parts it uses; a new one per invocation, as in the local host.
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().BackupDatabaseActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().VerifyBackupActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().CopyBackupActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().RestoreTestActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().CheckAnomalyActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().PruneBackupsActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().RestoreDatabaseActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().WriteRunReportActivity());
        services.AddTransient(sp => sp.GetRequiredService<BackupRuntime>().NotifyActivity());
        services.AddTransient(sp => new BackupFunctions.Orchestrations.Intake.RecordRestoreActivity(sp.GetRequiredService<BackupRuntime>()));

        // The BackupFunctions meter and traces (README "Observability") go to Application Insights
        // through OpenTelemetry; the exporter is attached only when the connection string is set,
        // because it refuses to start without one.
        var telemetry = services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(BackupTelemetry.Name))
            .WithTracing(t => t.AddSource(BackupTelemetry.Name))
            .UseFunctionsWorkerDefaults();
        if (!string.IsNullOrWhiteSpace(context.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            telemetry.UseAzureMonitorExporter();
        }
    })
    .Build();

host.Run();
