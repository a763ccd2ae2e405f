using System.Text;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Cli;

/// <summary>
/// One-line log messages on the CLI's stderr writer ("warning: ..."), so logs never mix with --json
/// output. With <paramref name="includeScopes"/> (--verbose) each line starts with its scopes:
/// "[RunId=..., Activity=..., Target=..., BackupId=...]".
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, bool includeScopes = false) : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private string Scopes()
    {
        var text = new StringBuilder();
        _scopes.ForEachScope((scope, sb) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs.Where(p => p.Value is not null && !p.Key.StartsWith('{')))
                {
                    sb.Append(sb.Length == 0 ? "" : ", ").Append(key).Append('=').Append(value);
                }
            }
        }, text);
        return text.Length == 0 ? "" : $"[{text}] ";
    }

    private sealed class Logger(TextWriterLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string level = logLevel switch
            {
                LogLevel.Warning => "warning",
                LogLevel.Error or LogLevel.Critical => "error",
                _ => "info",
            };
            string scopes = provider.IncludeScopes ? provider.Scopes() : "";
            lock (provider.Writer)
            {
                provider.Writer.WriteLine($"{level}: {scopes}{formatter(state, exception)}");
            }
        }
    }

    private TextWriter Writer => writer;

    private bool IncludeScopes => includeScopes;
}
