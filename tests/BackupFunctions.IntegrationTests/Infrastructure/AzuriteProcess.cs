using System.Diagnostics;
using System.Globalization;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// An Azurite of its own (the one scripts/setup.sh installs into .tools/azurite), on free loopback
/// ports with a temporary data directory, for tests that stop storage: the shared Azurite serves
/// every other test. <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> keep the ports and
/// the data, so containers, blobs, tables and queues survive the outage.
/// </summary>
internal sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly string _location = Directory.CreateTempSubdirectory("azurite-it").FullName;
    private readonly int _blobPort = LoopbackPorts.Free();
    private readonly int _queuePort = LoopbackPorts.Free();
    private readonly int _tablePort = LoopbackPorts.Free();
    private Process? _process;

    private AzuriteProcess()
    {
    }

    /// <summary>A connection string for the development account on this Azurite.</summary>
    public string Storage => TestServers.StorageAt(Text(_blobPort), Text(_queuePort), Text(_tablePort));

    public static async Task<AzuriteProcess> StartAsync()
    {
        var azurite = new AzuriteProcess();
        await azurite.StartAgainAsync();
        return azurite;
    }

    /// <summary>Starts Azurite on this instance's ports and data directory; returns once all three services listen.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(Binary.Value) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--location", _location,
                     "--blobHost", "127.0.0.1", "--blobPort", Text(_blobPort), "--queueHost", "127.0.0.1", "--queuePort", Text(_queuePort),
                     "--tableHost", "127.0.0.1", "--tablePort", Text(_tablePort)])
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        foreach (int port in (int[])[_blobPort, _queuePort, _tablePort])
        {
            if (!await LoopbackPorts.WaitListeningAsync(port, TimeSpan.FromSeconds(30)))
            {
                await StopAsync();
                throw new TimeoutException($"Azurite ({Binary.Value}) did not listen on {port}");
            }
        }
    }

    /// <summary>
    /// Stops the process (SIGTERM, so Azurite saves its metadata as a storage service keeps what it
    /// acknowledged; SIGKILL after 10 s). Every request meanwhile is refused.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", Text(_process.Id)]))
        {
            await term.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        Directory.Delete(_location, recursive: true);
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The azurite scripts/setup.sh installs into .tools/azurite of the repository, or of the main
    /// checkout when this is a git worktree; BACKUPFN_AZURITE names another.
    /// </summary>
    private static readonly Lazy<string> Binary = new(() =>
    {
        if (Environment.GetEnvironmentVariable("BACKUPFN_AZURITE") is { Length: > 0 } configured)
        {
            return configured;
        }

        const string relative = ".tools/azurite/node_modules/.bin/azurite";
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "BackupFunctions.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("cannot find the repository (BackupFunctions.sln) above the test binaries; set BACKUPFN_AZURITE");
        }

        var candidates = new List<string> { Path.Combine(root.FullName, relative) };
        // In a worktree, .git is a file naming the main checkout's .git/worktrees/NAME.
        string git = Path.Combine(root.FullName, ".git");
        if (File.Exists(git) && File.ReadAllText(git).Trim() is var pointer && pointer.StartsWith("gitdir:", StringComparison.Ordinal))
        {
            string gitDir = Path.GetFullPath(pointer["gitdir:".Length..].Trim(), root.FullName);
            candidates.Add(Path.Combine(gitDir, "..", "..", "..", relative));
        }

        return candidates.Select(Path.GetFullPath).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"Azurite is not installed ({string.Join(", ", candidates)}): run scripts/setup.sh, or set BACKUPFN_AZURITE");
    });
}
