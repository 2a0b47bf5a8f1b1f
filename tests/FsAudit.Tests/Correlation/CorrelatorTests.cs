using Xunit;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Correlation;

public class CorrelatorTests
{
    private static AuditRecord Sys(uint s) => Rec("SYSCALL", s, SyscallFields());
    private static AuditRecord Cwd(uint s) => Rec("CWD", s, "cwd=\"/tmp\"");
    private static AuditRecord PathR(uint s, int item = 0) => Rec("PATH", s, PathFields(item, "\"/tmp/f\"", "NORMAL"));
    private static AuditRecord Eoe(uint s) => Rec("EOE", s, "");
    private static AuditRecord Pt(uint s) => Rec("PROCTITLE", s, "proctitle=" + Hex("touch\0/tmp/f"));

    private static Correlator Netlink(int max = 1000, long timeout = 1000, bool gaps = true) =>
        new(new CorrelatorOptions { Mode = CorrelationMode.Netlink, MaxInFlight = max, TimeoutMs = timeout, TrackGaps = gaps });

    private static Correlator Log(int slack = 4, int max = 1000, long timeout = 1000) =>
        new(new CorrelatorOptions { Mode = CorrelationMode.Log, LogSlackRecords = slack, MaxInFlight = max, TimeoutMs = timeout });

    private static string Shape(IEnumerable<AuditEvent> events) =>
        string.Join(" | ", events.Select(e => $"{e.Serial}:{string.Join(",", e.RecordTypes)}{(e.Incomplete ? "!" : "")}"));

    [Fact]
    public void Netlink_event_completes_on_eoe_and_not_before()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(10), Cwd(10), PathR(10), Pt(10) }) c.Add(r, 0, done);
        Assert.Empty(done);
        Assert.Equal(1, c.InFlight);
        c.Add(Eoe(10), 1, done);
        var e = Assert.Single(done);
        Assert.Equal(10u, e.Serial);
        Assert.Equal(4, e.Records.Count);
        Assert.False(e.Incomplete);
        Assert.Equal(0, c.InFlight);
        Assert.Equal(new CorrelatorCounters(Records: 5, Completed: 1, Incomplete: 0, TimedOut: 0, Evicted: 0, PossiblyLostSerials: 0, LateRecords: 0, BuildErrors: 0), c.Counters);
    }

    [Fact]
    public void Netlink_interleaved_events_each_get_their_records()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(1), Sys(2), Cwd(2), Cwd(1), PathR(1), Eoe(2), PathR(1, 1), Eoe(1) }) c.Add(r, 0, done);
        Assert.Equal([2u, 1u], done.Select(e => e.Serial));
        Assert.Equal(2, done[0].Records.Count);
        Assert.Equal(4, done[1].Records.Count);
        Assert.All(done[1].Records, r => Assert.Equal(1u, r.Serial));
    }

    [Fact]
    public void Always_alone_types_complete_at_once_and_login_sharing_a_serial_stays_separate()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        c.Add(Rec("LOGIN", 50, "pid=1 uid=0 old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=2 res=1"), 0, done);
        Assert.Single(done);
        c.Add(Rec("USER_START", 49, "pid=1 uid=0 auid=1000 ses=2 msg='op=x res=success'"), 0, done);
        Assert.Equal(2, done.Count);
        c.Add(Sys(50), 0, done);
        c.Add(Pt(50), 0, done);
        c.Add(Eoe(50), 0, done);
        Assert.Equal(["LOGIN", "USER_START", "SYSCALL"], done.Select(e => e.Type));
        Assert.Equal(2, done[2].Records.Count);
        Assert.Equal(50u, done[2].Serial);
    }

    [Fact]
    public void Timeout_emits_flagged_incomplete_when_eoe_is_owed()
    {
        var c = Netlink(timeout: 1000);
        var done = new List<AuditEvent>();
        c.Add(Sys(7), 100, done);
        c.Add(Rec("AVC", 8, "apparmor=\"DENIED\" operation=\"open\""), 150, done);
        c.Expire(1099, done);
        Assert.Empty(done);
        c.Expire(1100, done);
        var e = Assert.Single(done);
        Assert.True(e.Incomplete);
        c.Expire(1150, done);
        Assert.Equal(2, done.Count);
        Assert.False(done[1].Incomplete); // a stand-alone kernel record owes no EOE
        Assert.Equal(2, c.Counters.TimedOut);
        Assert.Equal(1, c.Counters.Incomplete);
        Assert.Equal(0, c.InFlight);
    }

    [Fact]
    public void Cap_evicts_the_oldest_flagged_incomplete_never_drops()
    {
        var c = Netlink(max: 3);
        var done = new List<AuditEvent>();
        for (uint s = 1; s <= 5; s++) c.Add(Sys(s), 0, done);
        Assert.Equal([1u, 2u], done.Select(e => e.Serial));
        Assert.All(done, e => Assert.True(e.Incomplete));
        Assert.Equal(3, c.InFlight);
        Assert.Equal(2, c.Counters.Evicted);
        c.Flush(done);
        Assert.Equal([1u, 2u, 3u, 4u, 5u], done.Select(e => e.Serial));
        Assert.Equal(0, c.InFlight);
        Assert.Equal(5, c.Counters.Completed);
    }

    [Fact]
    public void Eoe_without_an_open_event_is_counted_late()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        c.Add(Eoe(3), 0, done);
        Assert.Empty(done);
        Assert.Equal(1, c.Counters.LateRecords);
    }

    [Fact]
    public void Log_mode_completes_when_left_behind_with_slack_and_in_serial_order()
    {
        var c = Log(slack: 3);
        var done = new List<AuditEvent>();
        // Event 1 and 2 interleave; event 1's last record arrives after event 2 started.
        foreach (var r in new[] { Sys(1), Cwd(1), Sys(2), PathR(1), Cwd(2), PathR(2) }) c.Add(r, 0, done);
        Assert.Empty(done); // only 2 records since event 1's last one
        c.Add(Pt(2), 0, done);
        var first = Assert.Single(done);
        Assert.Equal(1u, first.Serial);
        Assert.Equal(3, first.Records.Count);
        Assert.False(first.Incomplete);
        c.Add(Sys(3), 0, done);
        Assert.Single(done); // event 2 had a record just now
        c.Flush(done);
        Assert.Equal([1u, 2u, 3u], done.Select(e => e.Serial));
        Assert.Equal(4, done[1].Records.Count);
        Assert.All(done, e => Assert.False(e.Incomplete)); // auditd logs have no EOE to miss
    }

    [Fact]
    public void Log_mode_keeps_serial_order_with_alone_records_and_out_of_order_starts()
    {
        var c = Log(slack: 0);
        var done = new List<AuditEvent>();
        c.Add(Sys(11), 0, done);
        c.Add(Sys(10), 0, done); // older serial starts later
        c.Add(Rec("USER_END", 12, "pid=1 msg='op=x res=success'"), 0, done);
        c.Add(Sys(13), 0, done);
        c.Flush(done);
        Assert.Equal([10u, 11u, 12u, 13u], done.Select(e => e.Serial));
    }

    [Fact]
    public void Serial_rollover_is_handled_in_both_modes()
    {
        uint[] serials = [0xFFFFFFFE, 0xFFFFFFFF, 0, 1];
        var log = Log(slack: 0);
        var done = new List<AuditEvent>();
        foreach (var s in serials) { log.Add(Sys(s), 0, done); log.Add(Cwd(s), 0, done); }
        // Each completes once the next (rolled-over) serial shows up.
        Assert.Equal([0xFFFFFFFEu, 0xFFFFFFFFu, 0u], done.Select(e => e.Serial));
        log.Flush(done);
        Assert.Equal(serials, done.Select(e => e.Serial));
        Assert.All(done, e => Assert.Equal(2, e.Records.Count));
        Assert.Equal(0, log.Counters.PossiblyLostSerials);

        var net = Netlink();
        var nd = new List<AuditEvent>();
        foreach (var s in serials) { net.Add(Sys(s), 0, nd); net.Add(Eoe(s), 0, nd); }
        Assert.Equal(serials, nd.Select(e => e.Serial));
        net.Flush(nd);
        Assert.Equal(0, net.Counters.PossiblyLostSerials);
    }

    [Fact]
    public void Gaps_in_serials_are_counted()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        foreach (var s in new uint[] { 100, 101, 104, 103, 110 }) { c.Add(Sys(s), 0, done); c.Add(Eoe(s), 0, done); }
        c.Flush(done);
        // 102, 105..109 never came; 103 came late but within the window.
        Assert.Equal(6, c.Counters.PossiblyLostSerials);
        Assert.Equal(5, done.Count);
    }

    [Fact]
    public void Gap_tracking_can_be_off_for_routed_correlators()
    {
        var c = Netlink(gaps: false);
        var done = new List<AuditEvent>();
        c.Add(Sys(1), 0, done); c.Add(Sys(1000), 0, done);
        c.Flush(done);
        Assert.Null(c.Gaps);
        Assert.Equal(0, c.Counters.PossiblyLostSerials);
    }

    [Fact]
    public void Daemon_records_do_not_disturb_kernel_serials()
    {
        var c = Log(slack: 0);
        var done = new List<AuditEvent>();
        c.Add(Sys(5_000_000), 0, done);
        c.Add(Rec("DAEMON_START", 12, "op=start ver=3.0.9 format=raw kernel=6.1.0 auid=4294967295 pid=1 uid=0 ses=4294967295 res=success"), 0, done);
        c.Add(Sys(5_000_001), 0, done);
        c.Flush(done);
        Assert.Equal(["DAEMON_START", "SYSCALL", "SYSCALL"], done.Select(e => e.Type));
        Assert.Equal(0, c.Counters.PossiblyLostSerials);
    }

    [Fact]
    public void Serial_space_reset_inside_a_log_flushes_the_old_events()
    {
        var c = Log(slack: 100);
        var done = new List<AuditEvent>();
        c.Add(Sys(9_000_000), 0, done);
        c.Add(Sys(9_000_001), 0, done);
        c.Add(Sys(5), 0, done); // reboot: serials restart
        Assert.Equal([9_000_000u, 9_000_001u], done.Select(e => e.Serial));
        c.Flush(done);
        Assert.Equal(5u, done[^1].Serial);
        Assert.Equal(0, c.Counters.PossiblyLostSerials);
    }

    [Fact]
    public void Log_mode_bounded_in_flight_under_a_long_stream()
    {
        var c = Log(slack: 8, max: 100_000);
        var done = new List<AuditEvent>();
        int maxInFlight = 0;
        for (uint s = 1; s <= 20_000; s++)
        {
            c.Add(Sys(s), s, done);
            c.Add(PathR(s), s, done);
            maxInFlight = Math.Max(maxInFlight, c.InFlight);
        }
        c.Flush(done);
        Assert.True(maxInFlight <= 6, $"in flight peaked at {maxInFlight}");
        Assert.Equal(20_000, done.Count);
        Assert.Equal(Enumerable.Range(1, 20_000).Select(i => (uint)i), done.Select(e => e.Serial));
    }

    // The correlator remembers the event the previous record went to (skipping the serial lookup): a record must
    // still land where the lookup would put it once that event was completed, expired, evicted or flushed.

    [Fact]
    public void A_record_after_its_events_eoe_opens_a_new_event()
    {
        var c = Netlink(gaps: false);
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(5), PathR(5), Eoe(5), PathR(5, 1), PathR(5, 2) }) c.Add(r, 0, done);
        Assert.Equal("5:1300,1302", Shape(done));
        c.Flush(done);
        Assert.Equal("5:1300,1302 | 5:1302,1302", Shape(done));
    }

    [Fact]
    public void Alternating_serials_keep_their_records_apart()
    {
        var c = Netlink(gaps: false);
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(1), Sys(2), PathR(1), PathR(1, 1), PathR(2), Eoe(2), PathR(1, 2), Eoe(1) }) c.Add(r, 0, done);
        Assert.Equal("2:1300,1302 | 1:1300,1302,1302,1302", Shape(done));
    }

    [Fact]
    public void A_record_after_a_timeout_or_eviction_opens_a_new_event()
    {
        var c = Netlink(timeout: 10, gaps: false);
        var done = new List<AuditEvent>();
        c.Add(Sys(7), 0, done);
        c.Expire(100, done);
        c.Add(PathR(7), 100, done);
        c.Add(Eoe(7), 100, done);
        Assert.Equal("7:1300! | 7:1302", Shape(done));

        var capped = Netlink(max: 1, gaps: false);
        done.Clear();
        capped.Add(Sys(8), 0, done);
        capped.Add(Sys(9), 0, done);   // evicts 8
        capped.Add(PathR(8), 0, done); // a new 8: older than 9 by serial, so the cap evicts it at once
        capped.Flush(done);
        Assert.Equal("8:1300! | 8:1302! | 9:1300!", Shape(done));
    }

    [Fact]
    public void Log_mode_records_after_completion_or_flush_start_over()
    {
        var c = Log(slack: 1);
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(3), PathR(3), Sys(4), PathR(4), PathR(4, 1) }) c.Add(r, 0, done);
        Assert.Equal("3:1300,1302", Shape(done));
        c.Flush(done);
        c.Add(PathR(4, 2), 0, done);
        c.Flush(done);
        Assert.Equal("3:1300,1302 | 4:1300,1302,1302 | 4:1302", Shape(done));
    }
}
