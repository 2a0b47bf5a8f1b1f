using System.Net.Sockets;
using System.Text;

namespace FsAudit.Host.Daemon;

/// <summary>Talks to a running daemon over its socket (status), or finds that none runs.</summary>
public static class DaemonProbe
{
    /// <summary>The daemon's status line, or null when nothing listens on <paramref name="socketPath"/>.</summary>
    public static async Task<string?> QueryStatusAsync(string socketPath, TimeSpan timeout)
    {
        if (!File.Exists(socketPath)) return null;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return null;
        }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("{\"op\":\"status\"}\n"u8.ToArray(), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync(cts.Token);
    }

    public static async Task EnsureNotRunning(string socketPath)
    {
        if (!File.Exists(socketPath)) return;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException) { return; } // a stale socket file of a daemon that was killed
        throw new DaemonStartException($"fsaudit is already running: a daemon answers on {socketPath}");
    }
}
