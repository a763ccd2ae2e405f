using System.Globalization;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Local.Engine;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Cli;

/// <summary>What one CLI invocation shares: configuration, runtime, output mode and writers.</summary>
internal sealed class CliSession : IDisposable
{
    private readonly ILoggerFactory _loggers;

    private CliSession(BackupRuntime runtime, ILoggerFactory loggers, bool json, bool progress, TextWriter stdout)
    {
        Runtime = runtime;
        _loggers = loggers;
        Json = json;
        Progress = progress;
        Out = stdout;
    }

    public BackupRuntime Runtime { get; }

    public ILoggerFactory Loggers => _loggers;

    /// <summary>Connects to the task hub and starts a worker in this process whose activities report to <paramref name="activities"/>.</summary>
    public Task<DurableEngine> StartEngineAsync(ActivityEnvironment activities) => DurableEngine.StartAsync(Runtime, activities, _loggers);

    /// <summary>False when --no-retry asks every activity to be tried once.</summary>
    public bool Retries { get; set; } = true;
    public bool Json { get; }
    public bool Progress { get; }

    /// <summary>Where log lines go; held while a progress display is live.</summary>
    public HeldWriter? Logs { get; private init; }
    public TextWriter Out { get; }

    public static CliSession Open(string? configFile, bool json, bool verbose, bool interactive, TextWriter stdout, TextWriter stderr)
    {
        var options = BackupConfiguration.Load(configFile);
        var logs = new HeldWriter(stderr);
        var loggers = LoggerFactory.Create(b => b
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning)
            .AddFilter("Azure", LogLevel.Warning)
            // The engine's own failures reach the user as the verb's one-line error; its log lines (with
            // stack traces) only with --verbose.
            .AddFilter("DurableTask", verbose ? LogLevel.Warning : LogLevel.None)
            .AddProvider(new TextWriterLoggerProvider(logs, includeScopes: verbose)));
        return new CliSession(BackupRuntime.Create(options, TimeProvider.System, loggers), loggers, json, interactive && !json, stdout) { Logs = logs };
    }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, VaultJson.Options));

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Format(CultureInfo.InvariantCulture, "{0:F1} {1}", value, units[unit]);
    }

    public void Dispose() => _loggers.Dispose();
}
