using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// `backupfn` as a real child process (the backupfn.dll built beside the tests), with its output
/// captured, so tests can kill it with SIGKILL and start another on the same task hub.
/// </summary>
internal sealed partial class BackupfnProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BackupfnProcess(Process process) => _process = process;

    public string Url => _url.Task.Result;

    public int ProcessId => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Lines that contain <paramref name="text"/>.</summary>
    public int Count(string text) => Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Writes a config file with a serve section for <paramref name="hub"/> and returns its path.</summary>
    public static string WriteConfig(string container, string hub, object targets, int maxParallelTargets = 4, int maxActivities = 4)
    {
        string file = Path.Combine(Path.GetTempPath(), $"backupfn-serve-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            Backup = new
            {
                Storage = new { Connection = TestServers.Storage, Container = container },
                Schedule = "0 0 0 1 1 *", // once a year: these tests start runs over HTTP
                MaxParallelTargets = maxParallelTargets,
                Local = new { Urls = "http://127.0.0.1:0", TaskHub = new { Name = hub, WorkItemTimeout = "00:00:10", MaxActivities = maxActivities } },
                Targets = targets,
            },
        }));
        return file;
    }

    /// <summary>`backupfn serve --verbose`, once it listens.</summary>
    public static async Task<BackupfnProcess> StartAsync(string configFile)
    {
        var serve = Start("serve", "--config", configFile, "--verbose");
        var started = await Task.WhenAny(serve._url.Task, Task.Delay(TimeSpan.FromSeconds(60)), serve._process.WaitForExitAsync());
        if (started != serve._url.Task)
        {
            await serve.DisposeAsync();
            throw new InvalidOperationException($"backupfn serve did not start:\n{string.Join('\n', serve.Lines)}");
        }

        return serve;
    }

    /// <summary>Any verb, started and left running.</summary>
    public static BackupfnProcess Start(params string[] args) => Start(args, new Dictionary<string, string?>());

    /// <summary>Any verb with extra environment variables (Backup__... settings), started and left running.</summary>
    public static BackupfnProcess Start(string[] args, IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(), // no host.json there: the Functions defaults apply
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "backupfn.dll"), .. args])
        {
            info.ArgumentList.Add(arg);
        }

        var child = new BackupfnProcess(Process.Start(info)!);
        child._process.OutputDataReceived += (_, e) => child.Add(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Add(e.Data);
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        if (Listening().Match(line) is { Success: true } m)
        {
            _url.TrySetResult(m.Groups[1].Value);
        }
    }

    /// <summary>The exit code, once the process has ended and its output has been read.</summary>
    public async Task<int> ExitCodeAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://\S+?);")]
    private static partial Regex Listening();
}
