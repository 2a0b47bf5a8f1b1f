using System.Net.Sockets;
using System.Text;
using FsAudit.Host.Metrics;
using Xunit;

namespace FsAudit.Tests.Metrics;

public sealed class SystemdNotifyTests
{
    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        socket.ReceiveTimeout = 5000;
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Sends_ready_status_and_stopping_datagrams_to_a_path_socket()
    {
        string path = Path.Combine(Path.GetTempPath(), "fsaudit-notify-" + Guid.NewGuid().ToString("N") + ".sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            var notify = new SystemdNotify(path);
            Assert.True(notify.Ready("watching 3 paths\nok"));
            Assert.Equal("READY=1\nSTATUS=watching 3 paths ok", Receive(systemd));
            Assert.True(notify.Stopping());
            Assert.Equal("STOPPING=1", Receive(systemd));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Abstract_socket_names_start_with_at()
    {
        string name = "fsaudit-notify-" + Guid.NewGuid().ToString("N");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint("\0" + name));
        Assert.True(new SystemdNotify("@" + name).Status("hello"));
        Assert.Equal("STATUS=hello", Receive(systemd));
    }

    [Fact]
    public void No_listener_is_reported_not_thrown()
    {
        var notify = new SystemdNotify(Path.Combine(Path.GetTempPath(), "fsaudit-nobody-" + Guid.NewGuid().ToString("N")));
        Assert.False(notify.Ready());
    }
}
