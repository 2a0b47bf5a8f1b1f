using System.Text.Json;
using FsAudit.Tests.Kernel;
using Xunit;
using Xunit.Abstractions;

namespace FsAudit.Tests.Daemon;

/// <summary>
/// <c>fsaudit run</c> as a real process against the real kernel: a script of file operations comes out
/// on --stdout exactly once each with the right syscall and absolute path, and stopping it (SIGTERM)
/// leaves the kernel as it was found.
/// </summary>
[Collection(KernelCollection.Name)]
[Trait("Category", "Kernel")]
public sealed class DaemonEndToEndTests(ITestOutputHelper output) : DaemonTestDirectory
{
    [KernelFact]
    public void A_killed_daemons_registration_is_dropped_by_the_state_guard_so_the_next_test_can_register()
    {
        var guard = KernelStateGuard.Capture();
        int pid;
        try
        {
            var (_, config) = WatchedConfig("watched", "stale");
            using (var daemon = DaemonProcess.Start(Dir, "run", "--config", config))
            {
                Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
                pid = daemon.Pid;
                daemon.Signal(Tmds.Linux.LibC.SIGKILL); // as a failed assertion's dispose does: no unregistering
                Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(10)));
            }
            // kauditd has sent it nothing since: the kernel still names the dead process as its daemon.
            Assert.Equal((uint)pid, guard.Control.GetStatus().Pid);
        }
        finally
        {
            guard.Dispose(); // throws if it cannot restore the state
        }
        using var control = new FsAudit.Engine.Netlink.AuditControl();
        var after = control.GetStatus();
        Assert.Equal(0u, after.Pid);
        Assert.Equal(guard.Status.Enabled, after.Enabled);
    }

    [KernelFact]
    public void Run_prints_each_operation_once_and_restores_the_kernel_on_SIGTERM()
    {
        using var guard = KernelStateGuard.Capture();
        var (watched, config) = WatchedConfig("watched", "e2e", extra: "fsaudit.kernel.backlog-limit = 4321");
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config, "--stdout");
        try
        {
            Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
            var during = guard.Control.GetStatus();
            // The daemon re-executed itself without the framework's ReadyToRun code, keeping its process id.
            Assert.Equal((uint)daemon.Pid, during.Pid);
            Assert.Contains("DOTNET_ReadyToRun=0", daemon.CurrentEnvironment());
            Assert.Contains("DOTNET_GCgen0size=0x1000000", daemon.CurrentEnvironment());
            // The start's cost is logged, counted from the process's start (before that re-execution).
            var started = System.Text.RegularExpressions.Regex.Match(daemon.Stderr,
                @"running; status socket .*; started in (\d+\.\d) s \((\d+) methods JIT-compiled, \d+\.\d s of JIT\)");
            Assert.True(started.Success, daemon.Stderr);
            Assert.InRange(double.Parse(started.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.1, 60);
            Assert.True(int.Parse(started.Groups[2].Value) > 1000, "a full-JIT start compiles thousands of methods");
            Assert.Equal(4321u, during.BacklogLimit);
            Assert.Equal(1u, during.Enabled);

            using (var child = SyscallChild.Start(watched))
            {
                Assert.True(child.Call("openat", SyscallChild.AtFdCwd, "a.txt", SyscallChild.OWronly | SyscallChild.OCreat, 0x1a4) >= 0);
                Assert.Equal(0, child.Call("mkdir", Path.Combine(watched, "sub"), 0x1ed));
                Assert.Equal(0, child.Call("rename", Path.Combine(watched, "a.txt"), Path.Combine(watched, "sub", "b.txt")));
                Assert.Equal(0, child.Call("unlink", "sub/b.txt"));
                Assert.Equal(0, child.Call("rmdir", Path.Combine(watched, "sub")));
                Assert.True(child.Call("unlink", "missing") < 0);
            }

            var expected = new (string Syscall, string Path, bool Success)[]
            {
                ("openat", Path.Combine(watched, "a.txt"), true),
                ("mkdir", Path.Combine(watched, "sub"), true),
                ("rename", Path.Combine(watched, "sub", "b.txt"), true),
                ("unlink", Path.Combine(watched, "sub", "b.txt"), true),
                ("rmdir", Path.Combine(watched, "sub"), true),
                ("unlink", watched, false), // the lookup failed: the kernel records only the parent directory
            };
            var lines = daemon.ReadLinesUntil(l => l.Count >= expected.Length, TimeSpan.FromSeconds(20));
            daemon.Signal(Tmds.Linux.LibC.SIGTERM);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "daemon did not stop on SIGTERM\n" + daemon.Stderr);
            lines.AddRange(daemon.DrainLines());
            output.WriteLine(daemon.Stderr);
            foreach (var l in lines) output.WriteLine(l);
            Assert.Equal(0, daemon.ExitCode);

            // Rule changes are events too (CONFIG_CHANGE with the rule's key): keep the file operations.
            var events = lines.Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => Key(e) == "e2e" && e.GetProperty("type").GetString() == "SYSCALL").ToList();
            Assert.Equal(expected.Length, events.Count);
            for (int i = 0; i < expected.Length; i++)
            {
                var e = events[i];
                Assert.Equal(expected[i].Syscall, e.GetProperty("syscall").GetString());
                Assert.Equal(expected[i].Success, e.GetProperty("success").GetBoolean());
                var names = e.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
                Assert.Contains(expected[i].Path, names);
            }

            // Stopped: the kernel is back as the guard found it (enabled, pid, rules, backlog_limit).
            Assert.Empty(guard.Differences());
        }
        finally
        {
            output.WriteLine(daemon.Stderr);
        }
    }

    [KernelFact]
    public void A_second_run_is_refused_while_one_runs()
    {
        using var guard = KernelStateGuard.Capture();
        string config = DaemonProcess.WriteConfig(Dir);
        using var first = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(first.WaitForStderr("running;", TimeSpan.FromSeconds(30)), first.Stderr);

        using var second = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already running", second.Stderr);

        first.Signal(Tmds.Linux.LibC.SIGTERM);
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(30)), first.Stderr);
        Assert.Equal(0, first.ExitCode);
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void A_run_after_kill_9_removes_the_rules_it_left_behind()
    {
        using var guard = KernelStateGuard.Capture();
        var (_, config) = WatchedConfig("w", "crashed", perm: null);
        using (var crashed = DaemonProcess.Start(Dir, "run", "--config", config))
        {
            Assert.True(crashed.WaitForStderr("running;", TimeSpan.FromSeconds(30)), crashed.Stderr);
            crashed.Signal(Tmds.Linux.LibC.SIGKILL);
            Assert.True(crashed.WaitForExit(TimeSpan.FromSeconds(10)));
        }
        Assert.Contains(guard.Control.ListRules(), r => r.Keys.Contains("crashed"));

        using var next = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(next.WaitForStderr("running;", TimeSpan.FromSeconds(30)), next.Stderr);
        Assert.Contains("removed a rule left by a previous run", next.Stderr);
        Assert.Single(guard.Control.ListRules(), r => r.Keys.Contains("crashed"));
        next.Signal(Tmds.Linux.LibC.SIGTERM);
        Assert.True(next.WaitForExit(TimeSpan.FromSeconds(30)), next.Stderr);
        Assert.Equal(0, next.ExitCode);
        Assert.DoesNotContain(guard.Control.ListRules(), r => r.Keys.Contains("crashed"));
    }

    [KernelFact]
    public void Multicast_mode_reads_beside_another_registered_daemon_and_changes_nothing()
    {
        using var guard = KernelStateGuard.Capture();
        string watched = Directory.CreateDirectory(Path.Combine(Dir, "m")).FullName;
        // The other daemon (auditd's place): this test process, with its own rule.
        guard.Control.SetEnabled(1);
        guard.Control.AddRule(FsAudit.Engine.Netlink.AuditRule.Parse($"-a always,exit -F dir={watched} -F perm=wa -k coexist"));
        using var other = new FsAudit.Engine.Netlink.AuditDaemonConnection();
        other.Register();
        var buffer = new byte[1 << 20];
        using var drain = new Timer(_ => { lock (buffer) other.Receive(buffer, 0); }, null, 0, 50);

        string config = DaemonProcess.WriteConfig(Dir, "fsaudit.kernel.mode = multicast");
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config, "--stdout");
        Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(30)), daemon.Stderr);
        var during = guard.Control.GetStatus();
        Assert.Equal((uint)Environment.ProcessId, during.Pid); // still the other daemon's registration
        Assert.Single(guard.Control.ListRules(), r => r.Keys.Contains("coexist")); // no rules of ours

        using (var child = SyscallChild.Start(watched))
            Assert.True(child.Call("openat", SyscallChild.AtFdCwd, "x", SyscallChild.OWronly | SyscallChild.OCreat, 0x1a4) >= 0);
        var lines = daemon.ReadLinesUntil(l => l.Any(x => x.Contains("\"coexist\"")), TimeSpan.FromSeconds(20));
        daemon.Signal(Tmds.Linux.LibC.SIGTERM);
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Stderr);
        output.WriteLine(daemon.Stderr);
        Assert.Equal(0, daemon.ExitCode);
        var e = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(x => Key(x) == "coexist");
        Assert.Equal("openat", e.GetProperty("syscall").GetString());
        Assert.Contains(Path.Combine(watched, "x"), e.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal((uint)Environment.ProcessId, guard.Control.GetStatus().Pid); // it left the other daemon registered
        drain.Dispose();
        lock (buffer) other.Unregister();
    }

    [KernelFact]
    public void A_start_that_fails_after_the_kernel_was_changed_puts_it_back()
    {
        using var guard = KernelStateGuard.Capture();
        var (_, config) = WatchedConfig("w", "failed-start", perm: null);
        File.WriteAllText(Path.Combine(Dir, "fsaudit.sock"), "not a socket"); // the socket path is taken by a plain file

        using var run = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(60)), run.Stderr);
        output.WriteLine(run.Stderr);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("fsaudit.sock", run.Stderr);
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void A_daemon_started_during_a_flood_loses_nothing()
    {
        using var guard = KernelStateGuard.Capture();
        // 32 MiB of socket: ~0.2 s of this flood (~1 KB of socket memory per record), far less than the daemon's
        // start-up after its rules are in (actor system, journal, subscribers: 5.5-6.7 s under this flood), which would overflow it
        // unless the reader drains the socket meanwhile. Not 8 MiB (~50 ms): in one of ~7 full suite runs that
        // overflowed once, with the 2 cores shared with the rest of the suite; the daemon's default is 128 MiB.
        var (watched, config) = WatchedConfig("flood", "flood", extra: "fsaudit.kernel.receive-buffer = 32MiB");
        // The flood runs before the daemon starts and until after it runs: create, write, close, delete.
        var flood = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(SyscallChild.PerlPath)
        {
            ArgumentList = { "-e", "my $end = time + $ARGV[0]; my $n = 0; while (time < $end) { open(my $f, '>', 'f') or die; print $f 'x'; close $f; unlink 'f'; $n++ } print \"$n\\n\";", "12" },
            WorkingDirectory = watched,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        using var daemon = DaemonProcess.Start(Dir, "run", "--config", config);
        try
        {
            Assert.True(daemon.WaitForStderr("rule -a", TimeSpan.FromSeconds(30)), daemon.Stderr);
            Assert.False(flood.HasExited, "the flood ended before the rules went in: the test proves nothing");
            Assert.True(daemon.WaitForStderr("running;", TimeSpan.FromSeconds(60)), daemon.Stderr);
            Assert.True(flood.WaitForExit(TimeSpan.FromSeconds(30)));
            long iterations = long.Parse(flood.StandardOutput.ReadToEnd().Trim());
            daemon.Signal(Tmds.Linux.LibC.SIGTERM);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Stderr);
            output.WriteLine($"flood: {iterations} iterations\n{daemon.Stderr}");
            Assert.Equal(0, daemon.ExitCode);

            var stopped = System.Text.RegularExpressions.Regex.Match(daemon.Stderr,
                @"stopped: records=(\d+) events=(\d+) .*possibly_lost_serials=(\d+) .*dropped=(\d+) kernel_dropped_for_us=(\d+)");
            Assert.True(stopped.Success, daemon.Stderr);
            Assert.True(long.Parse(stopped.Groups[2].Value) > 1000, "the daemon saw almost none of the flood");
            Assert.Equal("0", stopped.Groups[3].Value); // no gap in the kernel's serials
            Assert.Equal("0", stopped.Groups[4].Value);
            Assert.Equal("0", stopped.Groups[5].Value); // the socket never overran
            Assert.Equal(guard.Status.Lost, guard.Control.GetStatus().Lost); // nor did the kernel's backlog
            Assert.Empty(guard.Differences());
        }
        finally
        {
            if (!flood.HasExited) flood.Kill();
            flood.Dispose();
        }
    }

    private static string? Key(JsonElement e) =>
        e.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
}
