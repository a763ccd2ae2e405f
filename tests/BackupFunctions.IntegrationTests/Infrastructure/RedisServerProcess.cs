using System.Diagnostics;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>A real redis-server (the Debian package scripts/setup.sh installs) started by a test on a free loopback port; killed on dispose.</summary>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly ProcessStartInfo _info;
    private Process _process;

    private RedisServerProcess(ProcessStartInfo info, Process process, int port)
    {
        _info = info;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Connection(string? password = null, int database = 0) =>
        $"127.0.0.1:{Port}{(password is null ? "" : $",password={password}")},defaultDatabase={database}";

    /// <summary>Starts a server; <paramref name="arguments"/> are extra command-line settings (e.g. "--repl-diskless-sync", "no").</summary>
    public static async Task<RedisServerProcess> StartAsync(string? requirePass = null, params string[] arguments)
    {
        int port = LoopbackPorts.Free();
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        // No disk snapshots, and a diskless SYNC that starts at once (the default waits 5 s for more replicas).
        string[] defaults = ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--repl-diskless-sync-delay", "0", "--dir", Directory.CreateTempSubdirectory("redis-it").FullName];
        foreach (string a in defaults.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        if (requirePass is not null)
        {
            info.ArgumentList.Add("--requirepass");
            info.ArgumentList.Add(requirePass);
        }

        return new RedisServerProcess(info, await LaunchAsync(info, port), port);
    }

    /// <summary>
    /// SIGKILL, then the same server again (same port, same directory): what a crash and a supervisor
    /// restart do. Data the test wrote with SAVE is loaded again from the directory's dump.rdb; with
    /// <paramref name="waitUntilLoaded"/> false this returns once the server listens, still loading.
    /// </summary>
    public async Task RestartAsync(bool waitUntilLoaded = true)
    {
        await StopAsync();
        _process = await LaunchAsync(_info, Port, waitUntilLoaded);
    }

    private static async Task<Process> LaunchAsync(ProcessStartInfo info, int port, bool waitUntilLoaded = true)
    {
        var process = Process.Start(info)!;
        if (await LoopbackPorts.WaitListeningAsync(port, TimeSpan.FromSeconds(5)) && (!waitUntilLoaded || await LoadedAsync(port, TimeSpan.FromSeconds(10))))
        {
            return process;
        }

        process.Kill();
        throw new TimeoutException($"redis-server did not listen on {port}");
    }

    /// <summary>
    /// One inline command on a connection of its own (no password), and the start of its reply as
    /// text: enough for PING, SAVE, INFO and DEBUG, which is all the fault tests send.
    /// </summary>
    public Task<string> CommandAsync(string command) => CommandAsync(Port, command);

    private static async Task<string> CommandAsync(int port, string command)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(command + "\r\n"));
        byte[] reply = new byte[16 * 1024];
        int n = await stream.ReadAsync(reply);
        return System.Text.Encoding.ASCII.GetString(reply, 0, n);
    }

    /// <summary>A server listens before it has loaded its dump.rdb (it answers -LOADING meanwhile): wait until it answers anything else.</summary>
    private static async Task<bool> LoadedAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!(await CommandAsync(port, "PING")).StartsWith("-LOADING", StringComparison.Ordinal))
            {
                return true;
            }

            await Task.Delay(25);
        }

        return false;
    }

    private async Task StopAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    /// <summary>Kills the server and removes its directory (a restart test's dump.rdb is about 90 MB).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        int dir = _info.ArgumentList.IndexOf("--dir");
        Directory.Delete(_info.ArgumentList[dir + 1], recursive: true);
    }
}
