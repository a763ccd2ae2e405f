using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace BackupFunctions.Engines.Tools;

/// <summary>
/// A command-line tool (pg_dump, pg_restore, ...) run with piped stdin/stdout, its stderr kept
/// (the last 16 KiB) for error messages. Credentials go in environment variables, never in
/// arguments, so they do not show in process listings. Killed with its children on cancellation.
/// </summary>
public sealed class ToolProcess : IAsyncDisposable
{
    private const int StderrLimit = 16 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly CancellationTokenRegistration _cancel;

    private ToolProcess(Process process, CancellationToken cancellationToken)
    {
        _process = process;
        _stderrPump = PumpStderrAsync();
        _cancel = cancellationToken.Register(Kill);
    }

    public string Name { get; private init; } = "";

    public Stream StandardInput => _process.StandardInput.BaseStream;

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>
    /// Starts <paramref name="fileName"/> (looked up in <paramref name="directory"/> when given, else on PATH).
    /// Throws <see cref="EngineException"/> (ToolMissing) when it cannot be started.
    /// </summary>
    public static ToolProcess Start(string fileName, string? directory, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?> environment, bool redirectInput, CancellationToken cancellationToken)
    {
        string path = directory is null ? fileName : Path.Combine(directory, fileName);
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        try
        {
            var process = Process.Start(info) ?? throw new Win32Exception($"{fileName} did not start");
            return new ToolProcess(process, cancellationToken) { Name = fileName };
        }
        catch (Win32Exception)
        {
            string where = directory is null ? "on PATH" : $"in '{directory}'";
            throw new EngineException(FailureKind.ToolMissing,
                $"{fileName} not found {where} (install the PostgreSQL client tools, e.g. apt-get install postgresql-client, or set the target's ToolsDirectory)");
        }
    }

    /// <summary>Runs a tool to completion and returns its exit code, stdout and stderr (small outputs only).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, string? directory,
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var tool = Start(fileName, directory, arguments, environment, redirectInput: false, cancellationToken);
        using var reader = new StreamReader(tool.StandardOutput, Encoding.UTF8);
        string stdout = await reader.ReadToEndAsync(cancellationToken);
        int code = await tool.WaitAsync(cancellationToken);
        return (code, stdout, tool.Stderr);
    }

    /// <summary>Waits for exit and returns the exit code (stderr fully read).</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        await _stderrPump;
        return _process.ExitCode;
    }

    /// <summary>What the tool wrote to stderr (the last 16 KiB), trimmed.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString().Trim();
            }
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        var reader = _process.StandardError;
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, n);
                if (_stderr.Length > StderrLimit)
                {
                    _stderr.Remove(0, _stderr.Length - StderrLimit);
                }
            }
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancel.DisposeAsync();
        Kill();
        _process.Dispose();
    }
}
