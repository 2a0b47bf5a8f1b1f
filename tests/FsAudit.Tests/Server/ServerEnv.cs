using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using FsAudit.Actors.Subscribers;
using FsAudit.Host.Server;
using FsAudit.Tests.Subscribers;
using Xunit;

namespace FsAudit.Tests.Server;

/// <summary>A hub and a control server on a real Unix socket in a fresh temp directory.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServerEnv : IAsyncDisposable
{
    private readonly string _dir;

    private ServerEnv(string dir, IActorRef hub, ControlServer server, SubscriberSettings settings)
    {
        _dir = dir;
        Hub = hub;
        Server = server;
        Settings = settings;
    }

    public IActorRef Hub { get; }
    public ControlServer Server { get; }
    public SubscriberSettings Settings { get; }
    public string SocketPath => Settings.SocketPath;

    public static ServerEnv Start(ActorSystem sys, Func<SubscriberSettings, SubscriberSettings>? tweak = null, int maxSubscribers = 8)
    {
        var dir = Directory.CreateTempSubdirectory("fsaudit-srv-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101); // 0755: tests run clients as nobody
        var settings = SubscriberSettings.Defaults(Path.Combine(dir, "fsaudit.sock")) with { MaxSubscribers = maxSubscribers };
        settings = tweak?.Invoke(settings) ?? settings;
        var hub = sys.ActorOf(SubscriberHub.Props(TestView.Instance, settings.MaxSubscribers));
        var handlers = new ControlHandlers(_ => Task.FromResult("""{"state":"running","events":42}"""u8.ToArray()), hub, TestCatalog.Instance);
        return new ServerEnv(dir, hub, new ControlServer(settings, handlers), settings);
    }

    public async Task Publish(params TestEvent[] events)
    {
        Assert.IsType<HubAck>(await Hub.Ask<object>(new PublishBatch<TestEvent>(events), TimeSpan.FromSeconds(5)));
    }

    public async Task<HubStatus> HubStatus() => await Hub.Ask<HubStatus>(GetHubStatus.Instance, TimeSpan.FromSeconds(5));

    /// <summary>Waits until the hub has exactly <paramref name="count"/> subscribers.</summary>
    public async Task AwaitSubscribers(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await HubStatus()).Subscribers.Count != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"hub never reached {count} subscribers");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A line-oriented client on a Unix socket.</summary>
public sealed class LineClient : IDisposable
{
    private readonly StreamReader _reader;

    private LineClient(Socket socket)
    {
        Socket = socket;
        _reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), Encoding.UTF8);
    }

    public Socket Socket { get; }

    public static async Task<LineClient> Connect(string path, int receiveBuffer = 0)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (receiveBuffer > 0) s.ReceiveBufferSize = receiveBuffer;
        await s.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new LineClient(s);
    }

    public async Task Send(string text) => await Socket.SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task Send(byte[] bytes) => await Socket.SendAsync(bytes);

    public async Task<string?> ReadLine(double seconds = 5)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await _reader.ReadLineAsync(cts.Token);
    }

    public async Task<JsonElement> ReadJson(double seconds = 5)
    {
        var line = await ReadLine(seconds);
        Assert.NotNull(line);
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    /// <summary>True when the server closed the connection (EOF or reset) within the time given.</summary>
    public async Task<bool> IsClosedByServer(double seconds = 5)
    {
        try { return await ReadLine(seconds) is null; }
        catch (IOException) { return true; }
    }

    public async Task<JsonElement> Subscribe(string request)
    {
        await Send(request + "\n");
        var reply = await ReadJson();
        Assert.True(reply.GetProperty("type").GetString() == "subscribed", reply.ToString());
        return reply;
    }

    public void Dispose()
    {
        _reader.Dispose();
        Socket.Dispose();
    }
}
