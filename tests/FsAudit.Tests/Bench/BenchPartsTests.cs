using System.Text;
using System.Text.Json;
using FsAudit.Host.Bench;
using FsAudit.Host.Configuration;
using Xunit;

namespace FsAudit.Tests.Bench;

public class BenchPartsTests
{
    [Fact]
    public void Cpu_ticks_are_read_after_the_command_name_even_when_it_holds_spaces_and_parentheses()
    {
        const string stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 7 0 12345 1000000 500";
        Assert.Equal(175, ProcStat.ParseCpuTicks(stat));
        Assert.Null(ProcStat.ParseCpuTicks("4242 (x) S 1 2"));
        Assert.Null(ProcStat.ParseCpuTicks("no parenthesis"));
        Assert.Null(ProcStat.ParseCpuTicks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 25"));
    }

    [Fact]
    public void Own_process_and_thread_cpu_and_peak_rss_are_readable()
    {
        double end = DateTime.UtcNow.AddMilliseconds(50).Ticks;
        while (DateTime.UtcNow.Ticks < end) { } // burn a little CPU on this thread
        Assert.True(ProcStat.CpuSeconds(Environment.ProcessId) > 0);
        Assert.NotNull(ProcStat.CpuSeconds(Environment.ProcessId, ProcStat.CurrentThreadId()));
        Assert.True(ProcStat.PeakRssBytes(Environment.ProcessId) > 1 << 20);
        Assert.Null(ProcStat.CpuSeconds(int.MaxValue));
    }

    [Fact]
    public void VmHWM_is_read_in_bytes()
    {
        Assert.Equal(12345L * 1024, ProcStat.ParseVmHwm("Name:\tx\nVmPeak:\t  99999 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n"));
        Assert.Null(ProcStat.ParseVmHwm("Name:\tkthread\n"));
    }

    [Fact]
    public void Worker_lines_are_parsed_and_junk_is_not()
    {
        Assert.True(WorkerReport.TryParseLine("p 1234", out long p, out var done));
        Assert.Equal(1234, p);
        Assert.Null(done);
        Assert.True(WorkerReport.TryParseLine("done 20000 2000000 3 28 1500000", out p, out done));
        Assert.Equal(new WorkerReport(20000, 2_000_000, 3, 28, 1_500_000), done);
        Assert.Equal(10_000, done!.Value.IterationsPerSecond, 6);
        Assert.False(WorkerReport.TryParseLine("ready", out _, out _));
        Assert.False(WorkerReport.TryParseLine("p -5", out _, out _));
        Assert.False(WorkerReport.TryParseLine("done 1 2 3 4", out _, out _));
    }

    [Fact]
    public void Machine_busy_ticks_leave_out_idle_and_iowait()
    {
        Assert.Equal((100L + 5 + 50 + 7 + 3 + 2, 100L + 5 + 50 + 1000 + 20 + 7 + 3 + 2),
            ProcStat.ParseMachineTicks("cpu  100 5 50 1000 20 7 3 2 40 0"));
        Assert.Null(ProcStat.ParseMachineTicks("cpu0 1 2 3 4"));
        var now = ProcStat.MachineTicks();
        Assert.NotNull(now);
        Assert.True(now.Value.Busy < now.Value.Total);
    }

    [Fact]
    public void Auditd_log_records_and_events_are_counted_from_the_offset()
    {
        string head = "type=DAEMON_START msg=audit(1700000000.000:1): op=start\n";
        string body =
            "type=SYSCALL msg=audit(1700000000.100:7): syscall=257 success=yes\n" +
            "type=CWD msg=audit(1700000000.100:7): cwd=\"/\"\n" +
            "type=SYSCALL msg=audit(1700000000.100:8): syscall=87 success=yes\n" +
            "type=PATH msg=audit(1700000000.100:7): item=0 name=\"/x\"\n" +
            "type=PATH msg=audit(1700000000.100:8): item=0 name=\"/y\"";
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, head + body);
            Assert.Equal((5L, 2L), AuditLogCounter.Count(path, Encoding.UTF8.GetByteCount(head)));
            Assert.Equal((6L, 2L), AuditLogCounter.Count(path, 0));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_log_line_longer_than_the_read_buffer_counts_once()
    {
        var text = "type=SYSCALL msg=audit(1.0:1): a\n" + "type=PATH msg=audit(1.0:1): " + new string('x', 3 << 20) + "\ntype=SYSCALL msg=audit(1.0:2): b\n";
        Assert.Equal((3L, 2L), AuditLogCounter.Count(new MemoryStream(Encoding.UTF8.GetBytes(text))));
    }

    [Fact]
    public void The_generated_daemon_config_is_valid_and_watches_only_the_load_directory()
    {
        var options = new BenchOptions { BacklogLimit = 4096, BacklogWaitTime = 1234 };
        string dir = Directory.CreateTempSubdirectory("fsaudit-bench-conf-").FullName;
        try
        {
            string file = Path.Combine(dir, "bench.conf");
            File.WriteAllText(file, FsAuditMode.Config("/tmp/bench \"x\"/load", dir + "/state", dir + "/s.sock", options, foundFailure: 0));
            var settings = ConfigLoader.Load(file);
            var watch = Assert.Single(settings.Watches);
            Assert.Equal("/tmp/bench \"x\"/load", watch.Path);
            Assert.Equal("wa", watch.Perm);
            Assert.Equal(FsAuditMode.RuleKey, watch.Key);
            Assert.Equal(4096u, settings.Kernel.BacklogLimit);
            Assert.Equal(1234u, settings.Kernel.BacklogWaitTime);
            Assert.Equal(0u, settings.Kernel.Failure);
            Assert.Equal(dir + "/s.sock", settings.SocketPath);
            Assert.Equal(TimeSpan.Zero, settings.StatsInterval);
            Assert.True(settings.Journal.Enabled);

            File.WriteAllText(file, FsAuditMode.Config(dir + "/load", dir + "/state", dir + "/s.sock", options with { Journal = false }, foundFailure: 0));
            Assert.False(ConfigLoader.Load(file).Journal.Enabled);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_daemon_config_overrides_the_generated_one_key_by_key()
    {
        string dir = Directory.CreateTempSubdirectory("fsaudit-bench-conf-").FullName;
        try
        {
            string file = Path.Combine(dir, "bench.conf");
            string generated = FsAuditMode.Config(dir + "/load", dir + "/state", dir + "/s.sock", new BenchOptions(), foundFailure: 0);
            File.WriteAllText(file, FsAuditMode.WithDaemonConfig(generated, "mine.conf",
                "fsaudit.journal.snapshot-every = 1000\nfsaudit { kernel.backlog-limit = 8192 }"));
            var settings = ConfigLoader.Load(file);
            Assert.Equal(1000, settings.Journal.SnapshotEvery);
            Assert.Equal(8192u, settings.Kernel.BacklogLimit); // the user's value wins over the generated one
            Assert.Equal(dir + "/load", Assert.Single(settings.Watches).Path); // the rest of the generated config stays
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Pipeline_counters_are_read_from_a_status_line()
    {
        using var doc = JsonDocument.Parse("""{"type":"status","pipeline":{"records_read":120,"events":20,"reader_failure":null}}""");
        Assert.Equal((120L, 20L), FsAuditMode.PipelineCounters(doc.RootElement));
        using var none = JsonDocument.Parse("""{"type":"status"}""");
        Assert.Equal((null, null), FsAuditMode.PipelineCounters(none.RootElement));
    }

    [Fact]
    public void The_final_note_names_spills_catch_up_sources_and_the_heap()
    {
        using var doc = JsonDocument.Parse("""
            {"daemon":{"gc_heap_bytes":20971520},"pipeline":{"spilled_records":12345},
             "subscribers":{"recent-window":{"catch-up-passes-from-window":7,"catch-up-passes-from-journal":2}}}
            """);
        Assert.Equal("fsaudit daemon: spilled 12,345 records to disk; subscriber catch-up passes: 7 from the recent window, 2 from the journal; " +
                     "managed heap at the end 20 MB", FsAuditMode.FinalNote(doc.RootElement));
        using var none = JsonDocument.Parse("""{"type":"status"}""");
        Assert.Null(FsAuditMode.FinalNote(none.RootElement));
    }

    [Fact]
    public void Auditd_config_logs_where_told_and_cannot_suspend_the_run()
    {
        string on = AuditdConfig.Render("/tmp/a/audit.log", writeLogs: true, "/tmp/a/plugins.d");
        string off = AuditdConfig.Render("/tmp/a/audit.log", writeLogs: false, "/tmp/a/plugins.d");
        Assert.Contains("write_logs = yes", on);
        Assert.Contains("write_logs = no", off);
        Assert.Contains("log_file = /tmp/a/audit.log", on);
        Assert.Contains("plugin_dir = /tmp/a/plugins.d", on);
        Assert.DoesNotContain("SUSPEND", on);
        // auditd refuses to start unless space_left > admin_space_left.
        int Value(string key) => int.Parse(on.Split('\n').Single(l => l.StartsWith(key + " =")).Split('=')[1]);
        Assert.True(Value("space_left") > Value("admin_space_left"));
    }
}
