using System.Net.Sockets;
using System.Text;

namespace FsAudit.Host.Metrics;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram of <c>KEY=VALUE</c> lines to the socket systemd names in
/// <c>$NOTIFY_SOCKET</c> (a path, or <c>@name</c> for the abstract namespace). With <c>Type=notify</c> systemd
/// considers the service started only after <see cref="Ready"/>. Sending never throws: a failure returns false.
/// </summary>
public sealed class SystemdNotify
{
    public const string EnvironmentVariable = "NOTIFY_SOCKET";

    private readonly UnixDomainSocketEndPoint _endpoint;

    public SystemdNotify(string socket)
    {
        ArgumentException.ThrowIfNullOrEmpty(socket);
        Socket = socket;
        // "@name" is the abstract namespace: the address starts with a NUL byte.
        _endpoint = new UnixDomainSocketEndPoint(socket[0] == '@' ? "\0" + socket[1..] : socket);
    }

    public string Socket { get; }

    /// <summary>The notifier for <c>$NOTIFY_SOCKET</c>, or null when not started by systemd with notify access.</summary>
    public static SystemdNotify? FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? new SystemdNotify(s) : null;

    /// <summary>Start-up finished (rules installed, socket listening).</summary>
    public bool Ready(string? status = null) => Send(status is null ? "READY=1" : $"READY=1\nSTATUS={OneLine(status)}");

    /// <summary>Shutdown began: systemd waits for the exit instead of treating it as a crash.</summary>
    public bool Stopping() => Send("STOPPING=1");

    /// <summary>Free-form status shown by <c>systemctl status</c>.</summary>
    public bool Status(string status) => Send($"STATUS={OneLine(status)}");

    public bool Send(string state)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), _endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
