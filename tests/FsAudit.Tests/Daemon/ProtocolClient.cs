using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace FsAudit.Tests.Daemon;

/// <summary>A raw protocol client: one subscription line, then event lines.</summary>
public sealed class ProtocolClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private Task<string?>? _pending; // a read that outlived a timeout, consumed by the next call

    private ProtocolClient(Socket socket)
    {
        _socket = socket;
        _reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
    }

    public static ProtocolClient Subscribe(string path, string request)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        var client = new ProtocolClient(socket);
        var first = client._reader.ReadLine();
        Assert.NotNull(first);
        client.Subscribed = JsonDocument.Parse(first!).RootElement;
        Assert.Equal("subscribed", client.Subscribed.GetProperty("type").GetString());
        return client;
    }

    /// <summary>The server's <c>subscribed</c> line.</summary>
    public JsonElement Subscribed { get; private set; }

    public void Ack(long offset) => _socket.Send(Encoding.UTF8.GetBytes($"{{\"op\":\"ack\",\"offset\":{offset}}}\n"));

    public List<JsonElement> ReadEvents(int count, TimeSpan timeout)
    {
        var events = new List<JsonElement>();
        var deadline = DateTime.UtcNow + timeout;
        while (events.Count < count && DateTime.UtcNow < deadline)
        {
            var read = _pending ?? _reader.ReadLineAsync();
            _pending = read;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !read.Wait(left)) break;
            _pending = null;
            if (read.Result is not { } line) break;
            var e = JsonDocument.Parse(line).RootElement;
            Assert.True(e.TryGetProperty("offset", out _), $"unexpected control line {line}");
            events.Add(e);
        }
        return events;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _reader.Dispose();
    }
}
