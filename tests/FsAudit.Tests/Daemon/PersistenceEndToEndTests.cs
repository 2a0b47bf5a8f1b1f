using System.Text.Json;
using FsAudit.Tests.Kernel;
using Xunit;
using Xunit.Abstractions;

namespace FsAudit.Tests.Daemon;

/// <summary>
/// The journal against real crashes: kill -9 of the daemon in the middle of a burst, and kill -9 of a
/// durable subscriber after its ack. Nothing delivered is lost; a durable subscriber resumes after its ack.
/// </summary>
[Collection(KernelCollection.Name)]
[Trait("Category", "Kernel")]
public sealed class PersistenceEndToEndTests(ITestOutputHelper output) : DaemonTestDirectory
{
    [KernelFact]
    public void Kill_9_of_the_daemon_mid_burst_loses_nothing_delivered_and_a_durable_subscriber_resumes_after_its_ack()
    {
        using var guard = KernelStateGuard.Capture();
        var (w, config) = WatchedConfig("w", "crash");
        const string request = """{"op":"subscribe","name":"durable-1","keys":["crash"],"events":["FILE_Create","FILE_Unlink"]}""";

        var delivered = new Dictionary<long, long>(); // offset → serial, as the subscriber saw them before the crash
        long acked;
        using (var first = DaemonProcess.Start(Dir, "run", "--config", config))
        {
            Assert.True(first.WaitForStderr("running;", TimeSpan.FromSeconds(30)), first.Stderr);
            using var sub = ProtocolClient.Subscribe(first.SocketPath, request);
            using var child = SyscallChild.Start(w);
            var burst = Task.Run(() =>
            {
                for (int i = 0; i < 400; i++)
                {
                    child.Call("close", child.Call("creat", $"f{i}", 0x1a4));
                    child.Call("unlink", $"f{i}");
                }
            });
            var events = sub.ReadEvents(60, TimeSpan.FromSeconds(30));
            Assert.Equal(60, events.Count);
            acked = events[39].GetProperty("offset").GetInt64();
            sub.Ack(acked);
            Thread.Sleep(1500); // acks are persisted in the background; a crash may forget only the last moments
            foreach (var e in events.Concat(sub.ReadEvents(int.MaxValue, TimeSpan.FromMilliseconds(100))))
                delivered[e.GetProperty("offset").GetInt64()] = e.GetProperty("serial").GetInt64();
            first.Signal(Tmds.Linux.LibC.SIGKILL); // mid-burst
            Assert.True(first.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.True(burst.Wait(TimeSpan.FromSeconds(120)), "the workload did not finish after the daemon died");
        }

        using var second = DaemonProcess.Start(Dir, "run", "--config", config);
        try
        {
            Assert.True(second.WaitForStderr("running;", TimeSpan.FromSeconds(30)), second.Stderr);

            // Every event any subscriber was given is in the journal, under the same offset.
            using var replay = DaemonProcess.Start(Dir, "replay", "--config", config, "--keys", "crash");
            Assert.True(replay.WaitForExit(TimeSpan.FromSeconds(60)), replay.Stderr);
            Assert.Equal(0, replay.ExitCode);
            var stored = replay.DrainLines().Select(l => JsonDocument.Parse(l).RootElement)
                .ToDictionary(e => e.GetProperty("offset").GetInt64(), e => e.GetProperty("serial").GetInt64());
            foreach (var (offset, serial) in delivered)
                Assert.True(stored.TryGetValue(offset, out var s) && s == serial, $"delivered offset {offset} (serial {serial}) is not in the journal");

            // The durable subscriber resumes right after its ack: the next stored matching events, none skipped.
            using var resumed = ProtocolClient.Subscribe(second.SocketPath, request);
            var expected = stored.Keys.Where(o => o > acked).Order().Take(20).ToList();
            var again = resumed.ReadEvents(expected.Count, TimeSpan.FromSeconds(30)).Select(e => e.GetProperty("offset").GetInt64()).ToList();
            Assert.Equal(expected, again);
        }
        finally
        {
            second.Signal(Tmds.Linux.LibC.SIGTERM);
            second.WaitForExit(TimeSpan.FromSeconds(30));
            output.WriteLine(second.Stderr);
        }
        Assert.Equal(0, second.ExitCode);
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void A_subscriber_killed_after_acking_N_gets_N_plus_1_on_reconnect()
    {
        using var guard = KernelStateGuard.Capture();
        var (w, config) = WatchedConfig("w", "sub");
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config);
        try
        {
            Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
            using (var child = SyscallChild.Start(w))
                for (int i = 0; i < 10; i++) child.Call("mkdir", $"d{i}", 0x1ed);

            // The real `subscribe` verb as the subscriber: it acks what it printed; kill -9 it after 4.
            var offsets = new List<long>();
            using (var first = DaemonProcess.Start(Dir, "subscribe", "--socket", daemon.SocketPath, "--name", "s1", "--from", "earliest",
                       "--events", "FS_Mkdir", "--count", "4"))
            {
                Assert.True(first.WaitForExit(TimeSpan.FromSeconds(30)), first.Stderr);
                Assert.Equal(0, first.ExitCode);
                offsets.AddRange(first.DrainLines().Select(l => JsonDocument.Parse(l).RootElement.GetProperty("offset").GetInt64()));
            }
            Assert.Equal(4, offsets.Count);
            Thread.Sleep(1500); // the daemon persists acks in the background

            using var second = DaemonProcess.Start(Dir, "subscribe", "--socket", daemon.SocketPath, "--name", "s1",
                "--events", "FS_Mkdir", "--count", "6");
            Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)), second.Stderr);
            var next = second.DrainLines().Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(6, next.Count);
            Assert.True(next[0].GetProperty("offset").GetInt64() > offsets[^1]);
            Assert.Equal(Enumerable.Range(4, 6).Select(i => Path.Combine(w, $"d{i}")),
                next.Select(e => e.GetProperty("paths").EnumerateArray().Last().GetProperty("name").GetString()));
        }
        finally
        {
            daemon.Signal(Tmds.Linux.LibC.SIGTERM);
            daemon.WaitForExit(TimeSpan.FromSeconds(30));
            output.WriteLine(daemon.Stderr);
        }
        Assert.Empty(guard.Differences());
    }
}
