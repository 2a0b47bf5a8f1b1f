using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.TestKit.Xunit2;
using FsAudit.Host.Server;
using FsAudit.Tests.Subscribers;
using Xunit;

namespace FsAudit.Tests.Server;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ControlServerTests : TestKit
{
    [Fact]
    public async Task Subscriber_receives_its_events_as_json_lines_with_offset_event_and_classes()
    {
        await using var env = ServerEnv.Start(Sys);
        using var client = await LineClient.Connect(env.SocketPath);
        var subscribed = await client.Subscribe("""{"op":"subscribe","classes":["files"],"paths":["/srv/data"]}""");
        Assert.Equal("sub-1", subscribed.GetProperty("id").GetString());
        Assert.Equal(1, subscribed.GetProperty("offset").GetInt64());
        Assert.Equal("""{"classes":["files"],"paths":["/srv/data"]}""", subscribed.GetProperty("filter").GetRawText());

        await env.Publish(
            new TestEvent("FILE_Unlink", ["/srv/data/a"], Note: "one"),
            new TestEvent("FILE_Unlink", ["/srv/database/a"]),
            new TestEvent("PROC_Execute", ["/srv/data/bin"]),
            new TestEvent("FILE_Write", ["/tmp/x", "/srv/data"], Note: "two"));

        var first = await client.ReadJson();
        Assert.Equal(1, first.GetProperty("offset").GetInt64());
        Assert.Equal("FILE_Unlink", first.GetProperty("event").GetString());
        Assert.Equal(["files", "deletes"], first.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("one", first.GetProperty("note").GetString());
        var second = await client.ReadJson();
        Assert.Equal(4, second.GetProperty("offset").GetInt64());
        Assert.Equal("two", second.GetProperty("note").GetString());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReadLine(0.3));
    }

    [Fact]
    public async Task Garbage_gets_an_error_and_a_disconnect_while_another_client_keeps_receiving()
    {
        await using var env = ServerEnv.Start(Sys);
        using var good = await LineClient.Connect(env.SocketPath);
        await good.Subscribe("""{"op":"subscribe"}""");

        using var bad = await LineClient.Connect(env.SocketPath);
        await bad.Send("this is not json\n");
        var error = await bad.ReadJson();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.StartsWith("request is not valid JSON", error.GetProperty("error").GetString());
        Assert.True(await bad.IsClosedByServer());

        await env.Publish(new TestEvent("FILE_Open", Note: "after"));
        Assert.Equal("after", (await good.ReadJson()).GetProperty("note").GetString());
        Assert.Equal(1, env.Server.Counters.BadRequests);
    }

    [Fact]
    public async Task Oversize_line_gets_an_error_and_a_disconnect()
    {
        await using var env = ServerEnv.Start(Sys, s => s with { MaxRequestBytes = 1024 });
        using var client = await LineClient.Connect(env.SocketPath);
        await client.Send(Encoding.UTF8.GetBytes("{\"op\":\"subscribe\",\"name\":\"" + new string('x', 5000)));
        var error = await client.ReadJson();
        Assert.Equal("request line longer than 1024 bytes", error.GetProperty("error").GetString());
        Assert.True(await client.IsClosedByServer());

        using var fine = await LineClient.Connect(env.SocketPath); // a line of exactly the limit is fine
        var request = """{"op":"status"}""";
        await fine.Send(request + new string(' ', 1024 - request.Length) + "\n");
        Assert.Equal("status", (await fine.ReadJson()).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("""{"op":"subscribe","classes":["fiels"]}""", """{"type":"error","error":"unknown class \"fiels\""}""")]
    [InlineData("""{"op":"subscribe","events":["FILE_Nope"]}""", """{"type":"error","error":"unknown event \"FILE_Nope\""}""")]
    [InlineData("""{"op":"subscrib"}""", """{"type":"error","error":"unknown op \"subscrib\" (expected \"status\" or \"subscribe\")"}""")]
    [InlineData("""{"classes":["files"]}""", """{"type":"error","error":"request must be a JSON object with a string \"op\" (\"status\" or \"subscribe\")"}""")]
    [InlineData("""{"op":"status","verbose":true}""", """{"type":"error","error":"unknown field \"verbose\" (status takes no fields)"}""")]
    public async Task Bad_requests_get_one_clear_error_line(string request, string expected)
    {
        await using var env = ServerEnv.Start(Sys);
        using var client = await LineClient.Connect(env.SocketPath);
        await client.Send(request + "\n");
        Assert.Equal(expected, await client.ReadLine());
        Assert.True(await client.IsClosedByServer());
        Assert.Empty((await env.HubStatus()).Subscribers);
    }

    [Fact]
    public async Task Peer_not_in_the_allowed_set_is_refused()
    {
        await using var env = ServerEnv.Start(Sys, s => s with { AllowedUids = [12345], AllowedGids = [54321] });
        using var client = await LineClient.Connect(env.SocketPath);
        var error = await client.ReadJson();
        Assert.StartsWith("permission denied: uid 0 (pid " + Environment.ProcessId + ")", error.GetProperty("error").GetString());
        Assert.True(await client.IsClosedByServer());
        Assert.Equal(1, env.Server.Counters.Refused);
    }

    [Fact]
    public async Task Socket_file_gets_the_configured_mode_and_group()
    {
        await using var env = ServerEnv.Start(Sys, s => s with { SocketMode = (UnixFileMode)0b110_110_000, SocketGroup = "nogroup" });
        Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(env.SocketPath));
        var stat = Run("stat", "-c", "%G", env.SocketPath);
        Assert.Equal("nogroup", stat.Output.Trim());
    }

    [Fact]
    public async Task A_client_running_as_nobody_is_refused_by_uid_and_admitted_by_group()
    {
        await using (var rootOnly = ServerEnv.Start(Sys, s => s with { SocketMode = (UnixFileMode)0b110_110_110 }))
        {
            var refused = RunAsNobody(rootOnly.SocketPath, "--regid=nogroup", "--clear-groups");
            Assert.Contains("\"permission denied: uid 65534", refused.Output);
        }
        // Admitted through a supplementary group (SO_PEERGROUPS), not the primary gid.
        await using var byGroup = ServerEnv.Start(Sys, s => s with { SocketMode = (UnixFileMode)0b110_110_110, AllowedGids = [4242] });
        var admitted = RunAsNobody(byGroup.SocketPath, "--regid=nogroup", "--groups=4242");
        Assert.Contains("\"type\":\"status\"", admitted.Output);
    }

    [Fact]
    public async Task Status_carries_the_daemon_json_and_a_subscriber_snapshot()
    {
        await using var env = ServerEnv.Start(Sys);
        using var sub = await LineClient.Connect(env.SocketPath);
        await sub.Subscribe("""{"op":"subscribe","name":"watcher","keys":["data"]}""");
        await env.Publish(new TestEvent("FILE_Open", Keys: ["data"]), new TestEvent("FILE_Open"));
        await sub.ReadJson();

        using var client = await LineClient.Connect(env.SocketPath);
        await client.Send("""{"op":"status"}""" + "\n");
        var status = await client.ReadJson();
        Assert.Equal("status", status.GetProperty("type").GetString());
        Assert.Equal("running", status.GetProperty("state").GetString());
        var subscribers = status.GetProperty("subscribers");
        Assert.Equal(3, subscribers.GetProperty("next-offset").GetInt64());
        var s = Assert.Single(subscribers.GetProperty("list").EnumerateArray());
        Assert.Equal("watcher", s.GetProperty("name").GetString());
        Assert.Equal(Environment.ProcessId, s.GetProperty("pid").GetInt32());
        Assert.Equal(0u, s.GetProperty("uid").GetUInt32());
        Assert.Equal("""{"keys":["data"]}""", s.GetProperty("filter").GetRawText());
        Assert.Equal(1, s.GetProperty("delivered").GetInt64());
        Assert.Equal(0, s.GetProperty("missed").GetInt64());
        Assert.True(await client.IsClosedByServer());
    }

    [Fact]
    public async Task Disconnecting_ends_the_subscription_but_a_half_close_does_not()
    {
        await using var env = ServerEnv.Start(Sys);
        using var halfClosed = await LineClient.Connect(env.SocketPath);
        await halfClosed.Subscribe("""{"op":"subscribe"}""");
        halfClosed.Socket.Shutdown(SocketShutdown.Send); // what `echo ... | socat` does after the line

        var leaving = await LineClient.Connect(env.SocketPath);
        await leaving.Subscribe("""{"op":"subscribe"}""");
        await env.AwaitSubscribers(2);
        leaving.Dispose();
        await env.AwaitSubscribers(1);

        await env.Publish(new TestEvent("FILE_Open", Note: "still here"));
        Assert.Equal("still here", (await halfClosed.ReadJson()).GetProperty("note").GetString());
    }

    [Fact]
    public async Task Subscribers_beyond_the_maximum_are_refused()
    {
        await using var env = ServerEnv.Start(Sys, maxSubscribers: 1);
        using var first = await LineClient.Connect(env.SocketPath);
        await first.Subscribe("""{"op":"subscribe"}""");
        using var second = await LineClient.Connect(env.SocketPath);
        await second.Send("""{"op":"subscribe"}""" + "\n");
        Assert.Equal("too many subscribers (maximum 1)", (await second.ReadJson()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_subscriber_that_stops_reading_misses_events_without_slowing_another_then_sees_its_gap()
    {
        await using var env = ServerEnv.Start(Sys, s => s with { BufferBytes = 64 * 1024 });
        using var stalled = await LineClient.Connect(env.SocketPath, receiveBuffer: 4096);
        await stalled.Subscribe("""{"op":"subscribe"}""");
        using var reader = await LineClient.Connect(env.SocketPath);
        await reader.Subscribe("""{"op":"subscribe"}""");

        const int batches = 100, perBatch = 100; // 3 MB in all; the stalled side can hold a few hundred KB
        var note = new string('n', 200); // ~300-byte lines: the stalled side's socket and buffer fill quickly
        var sw = Stopwatch.StartNew();
        for (int b = 0; b < batches; b++)
        {
            await env.Publish(Enumerable.Range(0, perBatch).Select(_ => new TestEvent("FILE_Write", Note: note)).ToArray());
            for (int i = 0; i < perBatch; i++)
                Assert.Equal(b * perBatch + i + 1, (await reader.ReadJson()).GetProperty("offset").GetInt64());
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");

        var stalledInfo = (await env.HubStatus()).Subscribers.Single(s => s.Id == "sub-1").Stats;
        Assert.True(stalledInfo.Missed > 8000, $"missed {stalledInfo.Missed}");

        // The stalled client reads again: events and gap notices that account for every offset exactly once, in
        // order (each notice sits where its hole is), the last notice ending at the last event published, then live events.
        long next = 1, missedInNotices = 0, lastGapTo = 0;
        while (next <= batches * perBatch)
        {
            var line = await stalled.ReadJson();
            if (line.TryGetProperty("type", out var t))
            {
                Assert.Equal("gap", t.GetString());
                Assert.Equal(next, line.GetProperty("from").GetInt64());
                lastGapTo = line.GetProperty("to").GetInt64();
                long missed = line.GetProperty("missed").GetInt64();
                Assert.Equal(lastGapTo - next + 1, missed); // the filter takes everything, so a hole is contiguous
                missedInNotices += missed;
                next = lastGapTo + 1;
            }
            else Assert.Equal(next++, line.GetProperty("offset").GetInt64());
        }
        Assert.Equal(batches * perBatch, lastGapTo);
        Assert.Equal(stalledInfo.Missed, missedInNotices);
        await env.Publish(new TestEvent("FILE_Write", Note: "live"));
        var live = await stalled.ReadJson();
        Assert.Equal(batches * perBatch + 1, live.GetProperty("offset").GetInt64());
        Assert.Equal("live", live.GetProperty("note").GetString());
    }

    private static (int Exit, string Output) RunAsNobody(string socketPath, params string[] setprivArgs)
    {
        const string client = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            try:
                s.sendall(b'{"op":"status"}\n')
            except OSError:
                pass  # a refused peer may find the connection closed already; the error line is still there
            print(s.makefile().readline(), end='')
            """;
        return Run("setpriv", ["--reuid=nobody", .. setprivArgs, "/usr/bin/python3", "-c", client, socketPath]);
    }

    private static (int Exit, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), $"{file} did not finish");
        return (p.ExitCode, output);
    }
}
