using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>A real redis-server (the Debian package scripts/setup.sh installs) started by a test on a free loopback port; killed on dispose.</summary>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Connection(string? password = null, int database = 0) =>
        $"127.0.0.1:{Port}{(password is null ? "" : $",password={password}")},defaultDatabase={database}";

    /// <summary>Starts a server; <paramref name="arguments"/> are extra command-line settings (e.g. "--repl-diskless-sync", "no").</summary>
    public static async Task<RedisServerProcess> StartAsync(string? requirePass = null, params string[] arguments)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

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

        var process = Process.Start(info)!;
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return new RedisServerProcess(process, port);
            }
            catch (SocketException)
            {
                await Task.Delay(25);
            }
        }

        process.Kill();
        throw new TimeoutException($"redis-server did not listen on {port}");
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
