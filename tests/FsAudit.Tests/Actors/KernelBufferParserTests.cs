using System.Text;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Netlink;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Actors;

public sealed class KernelBufferParserTests
{
    private static byte[] Buffer(params (ushort Type, string Payload)[] messages)
    {
        var buf = new byte[64 * 1024];
        int offset = 0;
        foreach (var (type, payload) in messages)
            offset += NetlinkMessageReader.Write(buf.AsSpan(offset), type, 0, 0, 0, Encoding.UTF8.GetBytes(payload));
        return buf[..offset];
    }

    [Fact]
    public void Records_are_parsed_and_everything_else_is_counted_not_thrown()
    {
        var buf = Buffer(
            (1300, "audit(1700000000.123:42): arch=c000003e syscall=257 success=yes"),
            (1302, "audit(1700000000.123:42): item=0 name=\"/tmp/x\"\0"),
            (1302, "garbage without header"),
            (AuditMessageType.NlmsgError, "\0\0\0\0"),
            (1320, "audit(1700000000.123:42): "));
        var parser = new KernelBufferParser();
        var into = new List<AuditRecord>();

        Assert.Equal(3, parser.Parse(buf, into));
        Assert.Equal(new ushort[] { 1300, 1302, 1320 }, into.Select(r => r.Type));
        Assert.All(into, r => Assert.Equal(42u, r.Serial));
        Assert.Equal(5, parser.Messages);
        Assert.Equal(1, parser.Unparsable);
        Assert.Equal(1, parser.NonRecordMessages);
        Assert.Equal(0, parser.MalformedBuffers);
        Assert.Contains("1302", parser.LastError);
    }

    [Fact]
    public void A_cut_off_buffer_keeps_the_complete_messages_and_counts_the_tail()
    {
        var buf = Buffer((1300, "audit(1700000000.123:1): a=b"), (1300, "audit(1700000000.123:2): c=d"));
        var parser = new KernelBufferParser();
        var into = new List<AuditRecord>();

        Assert.Equal(1, parser.Parse(buf.AsSpan(0, buf.Length - 8), into));
        Assert.Equal(1u, into[0].Serial);
        Assert.Equal(1, parser.MalformedBuffers);
    }

    [Fact]
    public void Our_backlog_wake_records_are_counted_and_kept_like_other_user_messages()
    {
        var buf = Buffer(
            (1005, $"audit(1700000000.123:7): pid=10 uid=0 auid=4294967295 ses=4294967295 msg='{AuditControl.BacklogWakeMessage}'"),
            (1005, "audit(1700000000.123:8): pid=11 uid=0 auid=0 ses=1 msg='backup started'"),
            (1300, $"audit(1700000000.123:9): arch=c000003e syscall=257 comm=\"x\" key=\"{AuditControl.BacklogWakeMessage}\""));
        var parser = new KernelBufferParser();
        var into = new List<AuditRecord>();

        // Kept: the serial-gap check would count a dropped record's serial as lost.
        Assert.Equal(3, parser.Parse(buf, into));
        Assert.Equal(new uint[] { 7, 8, 9 }, into.Select(r => r.Serial));
        Assert.Equal(1, parser.BacklogWakeRecords);
        Assert.Equal(0, parser.Unparsable);
    }
}
