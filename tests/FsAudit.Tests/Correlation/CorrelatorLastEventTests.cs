using Xunit;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Correlation;

/// <summary>
/// The correlator remembers the event the previous record went to (skipping the serial lookup): a record must still
/// land where the lookup would put it once that event was completed, expired, evicted or flushed.
/// </summary>
public class CorrelatorLastEventTests
{
    private static AuditRecord Sys(uint s) => Rec("SYSCALL", s, SyscallFields());
    private static AuditRecord PathR(uint s, int item = 0) => Rec("PATH", s, PathFields(item, "\"/tmp/f\"", "NORMAL"));
    private static AuditRecord Eoe(uint s) => Rec("EOE", s, "");

    private static Correlator Netlink(int max = 1000, long timeout = 1000) =>
        new(new CorrelatorOptions { Mode = CorrelationMode.Netlink, MaxInFlight = max, TimeoutMs = timeout, TrackGaps = false });

    private static Correlator Log(int slack = 2, int max = 1000, long timeout = 1000) =>
        new(new CorrelatorOptions { Mode = CorrelationMode.Log, LogSlackRecords = slack, MaxInFlight = max, TimeoutMs = timeout });

    private static string Shape(IEnumerable<AuditEvent> events) =>
        string.Join(" | ", events.Select(e => $"{e.Serial}:{string.Join(",", e.RecordTypes)}{(e.Incomplete ? "!" : "")}"));

    [Fact]
    public void A_record_after_its_events_eoe_opens_a_new_event()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(5), PathR(5), Eoe(5), PathR(5, 1), PathR(5, 2) }) c.Add(r, 0, done);
        Assert.Equal("5:1300,1302", Shape(done));
        c.Flush(done);
        Assert.Equal("5:1300,1302 | 5:1302,1302", Shape(done));
    }

    [Fact]
    public void Alternating_serials_keep_their_records_apart()
    {
        var c = Netlink();
        var done = new List<AuditEvent>();
        foreach (var r in new[] { Sys(1), Sys(2), PathR(1), PathR(1, 1), PathR(2), Eoe(2), PathR(1, 2), Eoe(1) }) c.Add(r, 0, done);
        Assert.Equal("2:1300,1302 | 1:1300,1302,1302,1302", Shape(done));
    }

    [Fact]
    public void A_record_after_a_timeout_or_eviction_opens_a_new_event()
    {
        var c = Netlink(timeout: 10);
        var done = new List<AuditEvent>();
        c.Add(Sys(7), 0, done);
        c.Expire(100, done);
        c.Add(PathR(7), 100, done);
        c.Add(Eoe(7), 100, done);
        Assert.Equal("7:1300! | 7:1302", Shape(done));

        var capped = Netlink(max: 1);
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
