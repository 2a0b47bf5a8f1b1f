using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

public class BenchOptionsTests
{
    [Fact]
    public void Defaults_run_every_mode_once_with_one_writer_at_the_reported_backlog()
    {
        var o = BenchCommand.Parse([], out var error);
        Assert.Null(error);
        Assert.NotNull(o);
        Assert.Equal([1], o.Writers);
        Assert.Equal(BenchModes.Default, o.Modes);
        Assert.DoesNotContain(BenchMode.DrainBusy, o.Modes); // a calibration, asked for by name
        Assert.Equal(4096u, o.BacklogLimit);
        Assert.Equal(10, o.Seconds);
        Assert.Equal(WorkloadMix.None, o.Mix);
        Assert.Equal(5, o.DrainCoalesceMs); // the daemon's default read-coalesce
        Assert.Equal(1, o.Rounds);
        Assert.False(o.Json);
    }

    [Fact]
    public void Every_option_is_read()
    {
        var o = BenchCommand.Parse(["--writers", "2,1,2", "--seconds", "15", "--bytes", "4096", "--mix", "rename,chmod",
            "--modes", "fsaudit,drain", "--backlog-limit", "8192", "--backlog-wait-time", "500", "--subscribers", "3", "--stalled-subscribers", "2", "--drain-coalesce", "0", "--rounds", "3", "--json",
            "--auditd-cache", "/tmp/x"], out var error);
        Assert.Null(error);
        Assert.NotNull(o);
        Assert.Equal([2, 1], o.Writers); // order kept, duplicate dropped
        Assert.Equal(15, o.Seconds);
        Assert.Equal(4096, o.Bytes);
        Assert.Equal(WorkloadMix.Rename | WorkloadMix.Chmod, o.Mix);
        Assert.Equal([BenchMode.FsAudit, BenchMode.Drain], o.Modes);
        Assert.Equal(8192u, o.BacklogLimit);
        Assert.Equal(500u, o.BacklogWaitTime);
        Assert.Equal(3, o.Subscribers);
        Assert.Equal(2, o.StalledSubscribers);
        Assert.Equal(0, o.DrainCoalesceMs);
        Assert.Equal(3, o.Rounds);
        Assert.True(o.Json);
        Assert.Equal("/tmp/x", o.AuditdCache);
    }

    [Theory]
    [InlineData("--writers", "0", "writer count \"0\"")]
    [InlineData("--writers", "1,x", "writer count \"x\"")]
    [InlineData("--writers", ",", "at least one writer")]
    [InlineData("--modes", "off,drian", "unknown mode \"drian\"")]
    [InlineData("--mix", "rename,link", "unknown mix operation \"link\"")]
    [InlineData("--seconds", "0", "--seconds")]
    [InlineData("--seconds", "601", "--seconds")]
    [InlineData("--bytes", "-1", "--bytes")]
    [InlineData("--subscribers", "1001", "--subscribers")]
    [InlineData("--stalled-subscribers", "-1", "--stalled-subscribers")]
    [InlineData("--drain-coalesce", "101", "--drain-coalesce")]
    [InlineData("--rounds", "0", "--rounds")]
    [InlineData("--rounds", "51", "--rounds")]
    [InlineData("--busy-us", "0", "--busy-us must be above 0")]
    [InlineData("--busy-us", "1001", "--busy-us must be above 0")]
    [InlineData("--busy-us", "2", "--busy-us needs the drain-busy mode")]
    [InlineData("--backlog-limit", "0", "--backlog-limit")]
    [InlineData("--seconds", "ten", "ten")]
    public void Bad_values_are_refused_with_a_message_naming_them(string option, string value, string expected)
    {
        var o = BenchCommand.Parse([option, value], out var error);
        Assert.Null(o);
        Assert.NotNull(error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Subscribers_need_the_fsaudit_mode()
    {
        Assert.Null(BenchCommand.Parse(["--modes", "off,drain", "--subscribers", "2"], out var error));
        Assert.Contains("fsaudit", error);
        Assert.NotNull(BenchCommand.Parse(["--modes", "fsaudit", "--subscribers", "2"], out _));
        Assert.Null(BenchCommand.Parse(["--modes", "drain", "--stalled-subscribers", "1"], out error));
        Assert.Contains("--stalled-subscribers needs the fsaudit mode", error);
        Assert.Null(BenchCommand.Parse(["--modes", "fsaudit", "--subscribers", "600", "--stalled-subscribers", "401"], out error));
        Assert.Contains("at most 1000", error);
    }

    [Fact]
    public void Journal_is_on_unless_turned_off_for_the_fsaudit_mode()
    {
        Assert.True(BenchCommand.Parse([], out _)!.Journal);
        Assert.True(BenchCommand.Parse(["--journal", "on"], out _)!.Journal);
        var off = BenchCommand.Parse(["--modes", "drain,fsaudit", "--journal", "off"], out var error);
        Assert.Null(error);
        Assert.False(off!.Journal);
        Assert.Null(BenchCommand.Parse(["--journal", "no"], out error));
        Assert.Contains("--journal must be on or off (found \"no\")", error);
        Assert.Null(BenchCommand.Parse(["--modes", "drain", "--journal", "off"], out error));
        Assert.Contains("--journal off needs the fsaudit mode", error);
    }

    [Fact]
    public void Daemon_config_must_exist_and_needs_the_fsaudit_mode()
    {
        var file = Path.GetTempFileName();
        try
        {
            var o = BenchCommand.Parse(["--modes", "fsaudit", "--daemon-config", file], out var error);
            Assert.Null(error);
            Assert.Equal(Path.GetFullPath(file), o!.DaemonConfig);
            Assert.Null(BenchCommand.Parse(["--modes", "drain", "--daemon-config", file], out error));
            Assert.Contains("--daemon-config needs the fsaudit mode", error);
            Assert.Null(BenchCommand.Parse(["--modes", "fsaudit", "--daemon-config", file + ".missing"], out error));
            Assert.Contains("no such file", error);
            Assert.Null(BenchCommand.Parse([], out _)!.DaemonConfig);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Directory_must_exist_and_is_kept_as_a_full_path()
    {
        var dir = Directory.CreateTempSubdirectory("fsaudit-bench-opt-");
        try
        {
            var o = BenchCommand.Parse(["-d", dir.FullName + "/sub/.."], out var error);
            Assert.Null(error);
            Assert.Equal(dir.FullName, o!.Directory);
            Assert.Null(BenchCommand.Parse(["--directory", Path.Combine(dir.FullName, "missing")], out error));
            Assert.Contains("--directory: no such directory", error);
            Assert.Null(BenchCommand.Parse([], out _)!.Directory); // the system's temp directory

            // The daemon's socket lives inside: a path it cannot bind is refused before anything runs (fsaudit mode only).
            var deep = Directory.CreateDirectory(Path.Combine(dir.FullName, new string('d', BenchCommand.MaxDirectoryBytes)));
            Assert.Null(BenchCommand.Parse(["--modes", "drain,fsaudit", "-d", deep.FullName], out error));
            Assert.Contains("too long for the fsaudit daemon's Unix socket", error);
            Assert.NotNull(BenchCommand.Parse(["--modes", "drain", "-d", deep.FullName], out error));
            var longest = Directory.CreateDirectory("/tmp/" + new string('x', BenchCommand.MaxDirectoryBytes - "/tmp/".Length));
            try { Assert.NotNull(BenchCommand.Parse(["--modes", "fsaudit", "-d", longest.FullName], out error)); }
            finally { longest.Delete(); }
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_temp_tree_is_a_fresh_private_directory_under_the_one_given()
    {
        var parent = Directory.CreateTempSubdirectory("fsaudit-bench-parent-");
        try
        {
            var a = BenchCommand.CreateTempTree(parent.FullName);
            var b = BenchCommand.CreateTempTree(parent.FullName);
            Assert.NotEqual(a.FullName, b.FullName);
            Assert.Equal(parent.FullName, a.Parent!.FullName);
            Assert.StartsWith("fsaudit-bench-", a.Name);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(a.FullName));
            Assert.Equal(Path.GetFullPath(Path.GetTempPath()).TrimEnd('/'), BenchCommand.CreateTempTree(null).Parent!.FullName.TrimEnd('/'));
        }
        finally { parent.Delete(recursive: true); }
    }

    [Theory]
    [InlineData("none", 2)]
    [InlineData("rename", 3)]
    [InlineData("mkdir", 4)]
    [InlineData("chmod", 3)]
    [InlineData("rename,mkdir,chmod", 6)]
    public void Events_per_iteration_follow_the_mix(string mix, int events)
    {
        var parsed = WorkloadMixes.Parse(mix, out var error);
        Assert.Null(error);
        Assert.Equal(events, parsed!.Value.EventsPerIteration());
        Assert.Equal(parsed, WorkloadMixes.Parse(parsed.Value.Format(), out _));
    }

    [Fact]
    public void The_drain_busy_calibration_takes_its_work_per_event()
    {
        var o = BenchCommand.Parse(["--modes", "drain,drain-busy", "--busy-us", "2.5"], out var error);
        Assert.Null(error);
        Assert.Equal([BenchMode.Drain, BenchMode.DrainBusy], o!.Modes);
        Assert.Equal(2.5, o.BusyMicrosPerEvent);
        Assert.True(BenchMode.DrainBusy.IsInProcess());
        Assert.False(BenchMode.FsAudit.IsInProcess());

        var defaulted = BenchCommand.Parse(["--modes", "drain-busy"], out error);
        Assert.Null(error);
        Assert.Equal(BenchOptions.DefaultBusyMicrosPerEvent, defaulted!.BusyMicrosPerEvent);
    }

    [Fact]
    public void Mode_names_round_trip()
    {
        foreach (var m in BenchModes.All)
        {
            Assert.True(BenchModes.TryParse(m.Name().ToUpperInvariant(), out var back));
            Assert.Equal(m, back);
        }
        Assert.False(BenchModes.TryParse("auditd-log", out _));
    }
}
