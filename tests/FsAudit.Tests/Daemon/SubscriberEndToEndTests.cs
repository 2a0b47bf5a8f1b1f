using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FsAudit.Tests.Kernel;
using FsAudit.Host.Daemon;
using Xunit;
using Xunit.Abstractions;

namespace FsAudit.Tests.Daemon;

/// <summary>
/// The daemon with three real socket clients, each with its own filter, over one scripted set of
/// operations: each client's stream is exactly its expected list (no extra, no missing, in order).
/// </summary>
[Collection(KernelCollection.Name)]
[Trait("Category", "Kernel")]
public sealed class SubscriberEndToEndTests(ITestOutputHelper output) : DaemonTestDirectory
{
    [KernelFact]
    public void Three_subscribers_each_get_exactly_their_subset()
    {
        using var guard = KernelStateGuard.Capture();
        var (w, config) = WatchedConfig("watched", "subs");
        Directory.CreateDirectory(Path.Combine(w, "a"));
        Directory.CreateDirectory(Path.Combine(w, "b"));
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config);
        try
        {
            Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
            using var creates = ProtocolClient.Subscribe(daemon.SocketPath, """{"op":"subscribe","classes":["fc"],"keys":["subs"]}""");
            using var deletesInB = ProtocolClient.Subscribe(daemon.SocketPath, $$"""{"op":"subscribe","classes":["fd"],"paths":["{{w}}/b"]}""");
            using var failures = ProtocolClient.Subscribe(daemon.SocketPath, """{"op":"subscribe","events":["FILE_Mode","FILE_Unlink"],"success":false}""");

            using (var child = SyscallChild.Start(w))
            {
                Assert.True(child.Call("openat", SyscallChild.AtFdCwd, "a/x", SyscallChild.OWronly | SyscallChild.OCreat, 0x1a4) >= 0); // 1 FILE_Create
                Assert.Equal(0, child.Call("mkdir", "b/d", 0x1ed));                    // 2 FS_Mkdir
                Assert.Equal(0, child.Call("chmod", "a/x", 0x180));                    // 3 FILE_Mode
                Assert.Equal(0, child.Call("rename", "a/x", "b/y"));                   // 4 FILE_Rename (fc and fd)
                Assert.Equal(0, child.Call("unlink", "b/y"));                          // 5 FILE_Unlink
                Assert.Equal(0, child.Call("rmdir", "b/d"));                           // 6 FS_Rmdir
                Assert.True(child.Call("unlink", "a/missing") < 0);                    // 7 FILE_Unlink, failed
            }

            var c1 = creates.ReadEvents(3, TimeSpan.FromSeconds(20));
            var c2 = deletesInB.ReadEvents(3, TimeSpan.FromSeconds(20));
            var c3 = failures.ReadEvents(1, TimeSpan.FromSeconds(20));
            Thread.Sleep(1000); // anything extra would arrive now
            c1.AddRange(creates.ReadEvents(int.MaxValue, TimeSpan.FromMilliseconds(200)));
            c2.AddRange(deletesInB.ReadEvents(int.MaxValue, TimeSpan.FromMilliseconds(200)));
            c3.AddRange(failures.ReadEvents(int.MaxValue, TimeSpan.FromMilliseconds(200)));

            Assert.Equal(["FILE_Create openat", "FS_Mkdir mkdir", "FILE_Rename rename"], c1.Select(Describe));
            Assert.Equal(["FILE_Rename rename", "FILE_Unlink unlink", "FS_Rmdir rmdir"], c2.Select(Describe));
            Assert.Equal(["FILE_Unlink unlink"], c3.Select(Describe));
            Assert.False(c3[0].GetProperty("success").GetBoolean());
            // Offsets are global: the rename has the same offset in both streams; each stream is increasing.
            Assert.Equal(c1[2].GetProperty("offset").GetInt64(), c2[0].GetProperty("offset").GetInt64());
            foreach (var stream in new[] { c1, c2 })
                Assert.True(stream.Select(e => e.GetProperty("offset").GetInt64()).Zip(stream.Skip(1).Select(e => e.GetProperty("offset").GetInt64())).All(p => p.Item1 < p.Item2));

            daemon.Signal(Tmds.Linux.LibC.SIGTERM);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Stderr);
            Assert.Equal(0, daemon.ExitCode);
            Assert.Empty(guard.Differences());
        }
        finally
        {
            output.WriteLine(daemon.Stderr);
        }
    }

    [KernelFact]
    public void Status_reports_the_kernel_the_pipeline_and_the_subscribers()
    {
        using var guard = KernelStateGuard.Capture();
        string config = DaemonProcess.WriteConfig(Dir);
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
        using var sub = ProtocolClient.Subscribe(daemon.SocketPath, """{"op":"subscribe","classes":["files"]}""");

        using var status = DaemonProcess.Start(Dir, "status", "--json", "--socket", daemon.SocketPath);
        Assert.True(status.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, status.ExitCode);
        var json = JsonDocument.Parse(status.ReadLinesUntil(l => l.Count > 0, TimeSpan.FromSeconds(5)).Single()).RootElement;
        Assert.Equal((uint)daemon.Pid, json.GetProperty("kernel").GetProperty("pid").GetUInt32());
        Assert.Equal(1, json.GetProperty("kernel").GetProperty("enabled").GetInt32());
        Assert.True(json.GetProperty("daemon").GetProperty("rss_bytes").GetInt64() > 0);
        Assert.True(json.GetProperty("daemon").GetProperty("gc_heap_bytes").GetInt64() > 0);
        Assert.False(json.GetProperty("daemon").GetProperty("framework_precompiled").GetBoolean()); // re-executed with DOTNET_ReadyToRun=0
        Assert.Equal(16L << 20, json.GetProperty("daemon").GetProperty("gc_gen0_max_budget_bytes").GetInt64()); // ... and DOTNET_GCgen0size, as the GC took it
        Assert.True(json.GetProperty("daemon").GetProperty("jit_compiled_methods").GetInt64() > 1000); // start-up alone compiles thousands
        Assert.True(json.GetProperty("daemon").GetProperty("jit_seconds").GetDouble() > 0);
        // The warm-up before registering built every synthetic event and compiled the per-event code.
        var warm = System.Text.RegularExpressions.Regex.Match(daemon.Stderr, @"warm-up: (\d+) synthetic events \((\d+) kinds\) in \d+ ms, (\d+) methods JIT-compiled \(\d+ ms\)$",
            System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(warm.Success, daemon.Stderr);
        Assert.True(int.Parse(warm.Groups[1].Value) >= 100 && int.Parse(warm.Groups[2].Value) >= 20 && int.Parse(warm.Groups[3].Value) >= 100, warm.Value);
        Assert.True(json.GetProperty("pipeline").TryGetProperty("possibly_lost_serials", out _));
        Assert.Equal(1, json.GetProperty("subscribers").GetProperty("connected").GetInt32());
        // After the re-execution the runtime's diagnostic socket is its own again: dotnet-counters/-trace can attach.
        var diagnostics = Assert.Single(RuntimeSwitches.DiagnosticSockets(Path.GetTempPath(), daemon.Pid));
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            probe.Connect(new UnixDomainSocketEndPoint(diagnostics));

        daemon.Signal(Tmds.Linux.LibC.SIGTERM);
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Stderr);

        // No daemon: the kernel part and a clear word, exit 3.
        using var after = DaemonProcess.Start(Dir, "status", "--socket", daemon.SocketPath);
        Assert.True(after.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(3, after.ExitCode);
        var text = string.Join("\n", after.DrainLines());
        Assert.Contains("no fsaudit daemon is running", text);
        Assert.Contains("backlog_limit", text);
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void Journal_off_delivers_live_events_numbered_from_1_and_opens_no_database()
    {
        using var guard = KernelStateGuard.Capture();
        var (w, config) = WatchedConfig("watched", "nojournal", extra: "fsaudit.journal.enabled = off");
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config);
        try
        {
            Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
            Assert.Contains("journal off", daemon.Stderr);
            // A named subscriber is accepted, but not durable: there is nothing to resume from.
            using var sub = ProtocolClient.Subscribe(daemon.SocketPath, """{"op":"subscribe","name":"live","classes":["files"],"keys":["nojournal"]}""");
            Assert.False(sub.Subscribed.TryGetProperty("durable", out _));
            // Nothing stored: only "now" can be asked for.
            Assert.Contains("keeps no event journal", RawRequest(daemon.SocketPath, """{"op":"subscribe","from":"earliest"}"""));

            using (var child = SyscallChild.Start(w))
            {
                Assert.True(child.Call("openat", SyscallChild.AtFdCwd, "x", SyscallChild.OWronly | SyscallChild.OCreat, 0x1a4) >= 0);
                Assert.Equal(0, child.Call("unlink", "x"));
            }
            var events = sub.ReadEvents(2, TimeSpan.FromSeconds(20));
            Assert.Equal(["FILE_Create openat", "FILE_Unlink unlink"], events.Select(Describe));
            // Numbered by the hub, gap-free: the unlink right after the create.
            long first = events[0].GetProperty("offset").GetInt64();
            Assert.Equal(first + 1, events[1].GetProperty("offset").GetInt64());

            using var status = DaemonProcess.Start(Dir, "status", "--json", "--socket", daemon.SocketPath);
            Assert.True(status.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, status.ExitCode);
            var json = JsonDocument.Parse(status.ReadLinesUntil(l => l.Count > 0, TimeSpan.FromSeconds(5)).Single()).RootElement;
            Assert.False(json.GetProperty("journal").GetProperty("enabled").GetBoolean());
            // Offsets start at 1 at every start: the last one is the number of events so far (the kernel's
            // CONFIG_CHANGE record for our rule is one of them).
            Assert.Equal(first + 1, json.GetProperty("pipeline").GetProperty("events").GetInt64());

            daemon.Signal(Tmds.Linux.LibC.SIGTERM);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Stderr);
            Assert.Equal(0, daemon.ExitCode);
            Assert.False(File.Exists(Path.Combine(Dir, "state", "journal.db")), "journal.enabled = off must not create the database");
            Assert.Empty(guard.Differences());
        }
        finally
        {
            // Stop the daemon before the guard restores the kernel, so a failed assertion is what gets reported.
            if (!daemon.HasExited)
            {
                daemon.Signal(Tmds.Linux.LibC.SIGTERM);
                daemon.WaitForExit(TimeSpan.FromSeconds(30));
            }
            output.WriteLine(daemon.Stderr);
        }
    }

    /// <summary>Sends one request line and returns the daemon's one answer line.</summary>
    private static string RawRequest(string socketPath, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        using var reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
        return reader.ReadLine() ?? "";
    }

    private static string Describe(JsonElement e) => $"{e.GetProperty("event").GetString()} {e.GetProperty("syscall").GetString()}";
}
