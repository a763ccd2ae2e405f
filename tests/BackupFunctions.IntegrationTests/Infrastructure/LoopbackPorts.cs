using System.Net;
using System.Net.Sockets;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>Free loopback ports for servers a test starts itself, and a wait until one listens.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port nothing listens on now (the OS picks it; another process could still take it before the server binds).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True once something accepts connections on <paramref name="port"/>; false after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitListeningAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(25);
            }
        }

        return false;
    }
}
