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

    private CliSession(BackupRuntime runtime, ILoggerFactory loggers, bool json, bool progress, TextWriter stdout, TextWriter stderr)
    {
        Runtime = runtime;
        _loggers = loggers;
        Json = json;
        Progress = progress;
        Out = stdout;
        Error = stderr;
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

    /// <summary>The process's stderr, for a verb's own notices and failure lines (log lines go through <see cref="Logs"/>).</summary>
    public TextWriter Error { get; }

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
            // The orchestrators' warnings (a target failed) are what the verb prints itself, once.
            .AddFilter("BackupFunctions.Orchestrations", verbose ? LogLevel.Information : LogLevel.Error)
            .AddProvider(new TextWriterLoggerProvider(logs, includeScopes: verbose)));
        return new CliSession(BackupRuntime.Create(options, TimeProvider.System, loggers), loggers, json, interactive && !json, stdout, stderr) { Logs = logs };
    }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, VaultJson.Options));

    /// <summary>Writes rendered text (Rendering/) to stdout, line by line.</summary>
    public async Task WriteLinesAsync(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            await Out.WriteLineAsync(line);
        }
    }

    public void Dispose() => _loggers.Dispose();
}
