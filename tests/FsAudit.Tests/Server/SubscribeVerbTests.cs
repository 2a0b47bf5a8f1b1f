using System.Text.Json;
using Akka.TestKit.Xunit2;
using FsAudit.Host.Verbs;
using FsAudit.Tests.Subscribers;
using Xunit;

namespace FsAudit.Tests.Server;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SubscribeVerbTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Prints_matching_events_and_exits_after_count()
    {
        await using var env = ServerEnv.Start(Sys);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var run = SubscribeVerb.RunAsync(
            new SubscribeOptions { SocketPath = env.SocketPath, Filter = new() { Classes = ["files"], Paths = ["/srv/data"] }, Count = 2 },
            stdout, stderr, CancellationToken.None);
        await env.AwaitSubscribers(1);

        await env.Publish(
            new TestEvent("FILE_Open", ["/srv/data/a"], Note: "a"),
            new TestEvent("PROC_Execute", ["/srv/data/b"]),
            new TestEvent("FILE_Open", ["/srv/database"]),
            new TestEvent("FILE_Write", ["/srv/data/c"], Note: "c"),
            new TestEvent("FILE_Write", ["/srv/data/d"], Note: "d"));

        Assert.Equal(0, await run.WaitAsync(Wait));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["a", "c"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("note").GetString()));
        Assert.Equal("", stderr.ToString());
        await env.AwaitSubscribers(0);
    }

    [Fact]
    public async Task Exits_zero_after_the_idle_timeout()
    {
        await using var env = ServerEnv.Start(Sys);
        var stdout = new StringWriter();
        var started = DateTime.UtcNow;
        int exit = await SubscribeVerb.RunAsync(
            new SubscribeOptions { SocketPath = env.SocketPath, IdleTimeout = TimeSpan.FromMilliseconds(500) },
            stdout, new StringWriter(), CancellationToken.None).WaitAsync(Wait);
        Assert.Equal(0, exit);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public async Task Refused_subscription_is_reported_with_exit_code_2()
    {
        await using var env = ServerEnv.Start(Sys);
        var stderr = new StringWriter();
        int exit = await SubscribeVerb.RunAsync(
            new SubscribeOptions { SocketPath = env.SocketPath, Filter = new() { Classes = ["fiels"] } },
            new StringWriter(), stderr, CancellationToken.None).WaitAsync(Wait);
        Assert.Equal(2, exit);
        Assert.Equal("fsaudit subscribe: refused: unknown class \"fiels\"", stderr.ToString().Trim());
    }

    [Fact]
    public async Task Missing_daemon_is_reported_with_exit_code_1()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fsaudit-none-{Guid.NewGuid():N}.sock");
        var stderr = new StringWriter();
        int exit = await SubscribeVerb.RunAsync(new SubscribeOptions { SocketPath = path }, new StringWriter(), stderr, CancellationToken.None);
        Assert.Equal(1, exit);
        Assert.Equal($"fsaudit subscribe: fsaudit is not running (no socket at {path})", stderr.ToString().Trim());
    }

    [Fact]
    public async Task Stale_socket_is_reported_as_not_running()
    {
        var dir = Directory.CreateTempSubdirectory("fsaudit-stale-").FullName;
        var path = Path.Combine(dir, "s.sock");
        // A bound socket whose process exited without unlinking it (.NET would unlink it on Dispose).
        using (var p = System.Diagnostics.Process.Start("/usr/bin/python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
            p.WaitForExit();
        Assert.True(File.Exists(path));
        var stderr = new StringWriter();
        int exit = await SubscribeVerb.RunAsync(new SubscribeOptions { SocketPath = path }, new StringWriter(), stderr, CancellationToken.None);
        Assert.Equal(1, exit);
        Assert.Contains("fsaudit is not running (nothing listens on", stderr.ToString());
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task Daemon_going_away_ends_the_stream_with_exit_code_1_and_cancellation_with_130()
    {
        var env = ServerEnv.Start(Sys);
        var stderr = new StringWriter();
        var run = SubscribeVerb.RunAsync(new SubscribeOptions { SocketPath = env.SocketPath }, new StringWriter(), stderr, CancellationToken.None);
        await env.AwaitSubscribers(1);
        await env.DisposeAsync();
        Assert.Equal(1, await run.WaitAsync(Wait));
        Assert.Contains("closed the connection", stderr.ToString());

        await using var env2 = ServerEnv.Start(Sys);
        using var cts = new CancellationTokenSource();
        var cancelled = SubscribeVerb.RunAsync(new SubscribeOptions { SocketPath = env2.SocketPath }, new StringWriter(), new StringWriter(), cts.Token);
        await env2.AwaitSubscribers(1);
        cts.Cancel();
        Assert.Equal(130, await cancelled.WaitAsync(Wait));
    }

    [Fact]
    public void Request_carries_every_option()
    {
        var o = new SubscribeOptions
        {
            Name = "n1",
            Filter = new() { Classes = ["files"], Events = ["FILE_Unlink"], Paths = ["/srv/data"], Keys = ["k"], Success = false, Uids = [0], Auids = [-1] },
            From = "earliest",
        };
        Assert.Equal(
            """{"op":"subscribe","name":"n1","classes":["files"],"events":["FILE_Unlink"],"paths":["/srv/data"],"keys":["k"],"success":false,"uids":[0],"auids":[-1],"from":"earliest"}""" + "\n",
            System.Text.Encoding.UTF8.GetString(SubscribeVerb.Request(o)));
    }

    [Fact]
    public void A_named_subscriber_without_from_resumes_and_an_unnamed_one_starts_now()
    {
        Assert.Equal("""{"op":"subscribe","name":"n1"}""" + "\n", System.Text.Encoding.UTF8.GetString(SubscribeVerb.Request(new SubscribeOptions { Name = "n1" })));
        Assert.Equal("""{"op":"subscribe","from":"now"}""" + "\n", System.Text.Encoding.UTF8.GetString(SubscribeVerb.Request(new SubscribeOptions())));
    }
}
