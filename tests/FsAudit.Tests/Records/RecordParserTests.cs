using Xunit;
using System.Text;
using FsAudit.Engine.Records;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

public class RecordParserTests
{
    [Theory]
    [InlineData("audit(1700000000.123:4242): arch=c000003e syscall=2\0")]
    [InlineData("audit(1700000000.123:4242): arch=c000003e syscall=2\n")]
    [InlineData("audit(1700000000.123:4242): arch=c000003e syscall=2\n\0\0")]
    [InlineData("audit(1700000000.123:4242): arch=c000003e syscall=2")]
    public void Kernel_payload_header_is_parsed_and_terminators_dropped(string payload)
    {
        Assert.True(RecordParser.TryParseKernel(1300, Encoding.UTF8.GetBytes(payload), out var r, out var err), err);
        Assert.Equal(1300, r!.Type);
        Assert.Equal(1_700_000_000_123L, r.TimestampMs);
        Assert.Equal(4242u, r.Serial);
        Assert.Equal("audit(1700000000.123:4242): arch=c000003e syscall=2", r.Text);
        Assert.Equal("arch=c000003e syscall=2", Str(r.Fields));
        Assert.Null(r.Node);
    }

    [Fact]
    public void Serial_uses_the_full_32_bits()
    {
        Assert.True(RecordParser.TryParseKernel(1320, "audit(1.000:4294967295): "u8, out var r, out _));
        Assert.Equal(uint.MaxValue, r!.Serial);
        Assert.Equal(1000, r.TimestampMs);
        Assert.Equal(0, r.Fields.Length);
        Assert.False(RecordParser.TryParseKernel(1320, "audit(1.000:4294967296): "u8, out _, out var err));
        Assert.Contains("serial", err);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("hello", "audit(")]
    [InlineData("audit(1700000000.123 4242): x=1", "timestamp")]
    [InlineData("audit(1700000000.123:42x): x=1", "serial")]
    [InlineData("audit(17000a0000.123:42): x=1", "seconds")]
    [InlineData("audit(1700000000.1234:42): x=1", "milliseconds")]
    [InlineData("audit(1700000000.123:42", ")")]
    public void Bad_kernel_payloads_are_refused_with_a_reason(string payload, string reasonPart)
    {
        Assert.False(RecordParser.TryParseKernel(1300, Encoding.UTF8.GetBytes(payload), out var r, out var err));
        Assert.Null(r);
        Assert.Contains(reasonPart, err);
    }

    [Fact]
    public void Log_line_with_node_and_known_type()
    {
        var line = "node=web-1 type=PATH msg=audit(1700000000.005:77): item=0 name=\"/etc/passwd\" nametype=NORMAL";
        Assert.True(RecordParser.TryParseLogLine(line, out var r, out var err), err);
        Assert.Equal(1302, r!.Type);
        Assert.Equal("web-1", r.Node);
        Assert.Equal(1_700_000_000_005L, r.TimestampMs);
        Assert.Equal(77u, r.Serial);
        Assert.Equal("audit(1700000000.005:77): item=0 name=\"/etc/passwd\" nametype=NORMAL", r.Text);
        Assert.StartsWith("item=0", Str(r.Fields));
    }

    [Fact]
    public void Unknown_numeric_type_is_kept()
    {
        Assert.True(RecordParser.TryParseLogLine("type=UNKNOWN[1399] msg=audit(1700000000.000:5): foo=bar", out var r, out var err), err);
        Assert.Equal(1399, r!.Type);
        Assert.Equal("foo=bar", Str(r.Fields));
    }

    [Fact]
    public void Enriched_part_is_split_off_and_optionally_kept()
    {
        var line = "type=SYSCALL msg=audit(1700000000.123:9): arch=c000003e syscall=257 auid=1000\x1d" + "ARCH=x86_64 SYSCALL=openat AUID=\"alice\"";
        Assert.True(RecordParser.TryParseLogLine(line, out var r, out var err), err);
        Assert.Equal("audit(1700000000.123:9): arch=c000003e syscall=257 auid=1000", r!.Text);
        Assert.Equal("ARCH=x86_64 SYSCALL=openat AUID=\"alice\"", r.Enriched);

        Assert.True(RecordParser.TryParseLogLine(Encoding.UTF8.GetBytes(line), keepEnriched: false, out var b, out err), err);
        Assert.Equal(r.Text, b!.Text);
        Assert.Null(b.Enriched);
        Assert.True(RecordParser.TryParseLogLine(Encoding.UTF8.GetBytes(line), keepEnriched: true, out b, out _));
        Assert.Equal(r.Enriched, b!.Enriched);
    }

    [Fact]
    public void Byte_and_char_forms_agree_including_node_and_utf8()
    {
        var line = "node=hôte type=USER_START msg=audit(1700000001.999:12): pid=1 uid=0 msg='op=PAM:session_open acct=\"rené\" res=success'\r\n";
        Assert.True(RecordParser.TryParseLogLine(line, out var c, out var e1), e1);
        Assert.True(RecordParser.TryParseLogLine(Encoding.UTF8.GetBytes(line), keepEnriched: true, out var b, out var e2), e2);
        Assert.Equal(c!.Text, b!.Text);
        Assert.Equal(c.Type, b.Type);
        Assert.Equal(c.Serial, b.Serial);
        Assert.Equal(c.TimestampMs, b.TimestampMs);
        Assert.Equal("hôte", b.Node);
        Assert.Equal(c.Node, b.Node);
        Assert.EndsWith("res=success'", b.Text);
    }

    [Theory]
    [InlineData("msg=audit(1700000000.123:9): x=1", "type=")]
    [InlineData("type=SYSCALL audit(1700000000.123:9): x=1", "msg=")]
    [InlineData("type=NOT_A_TYPE msg=audit(1700000000.123:9): x=1", "unknown record type")]
    [InlineData("type=UNKNOWN[99999] msg=audit(1700000000.123:9): x=1", "out of range")]
    [InlineData("type=SYSCALL msg=bogus", "audit(")]
    [InlineData("type=SYSCALL msg=audit(1700000000.123:): x=1", "serial")]
    [InlineData("node=only", "type=")]
    [InlineData("type=SYSCALL", "msg=")]
    public void Bad_log_lines_are_refused_with_a_reason(string line, string reasonPart)
    {
        Assert.False(RecordParser.TryParseLogLine(line, out var r, out var err));
        Assert.Null(r);
        Assert.Contains(reasonPart, err);
        Assert.False(RecordParser.TryParseLogLine(Encoding.UTF8.GetBytes(line), false, out r, out var err2));
        Assert.Null(r);
        Assert.Contains(reasonPart, err2);
    }

    [Fact]
    public void User_space_type_names_parse()
    {
        foreach (var (name, number) in new[] { ("USER_START", 1105), ("LOGIN", 1006), ("CONFIG_CHANGE", 1305), ("DAEMON_START", 1200), ("PROCTITLE", 1327) })
        {
            Assert.True(RecordParser.TryParseLogLine(Line(name, 1, "pid=1"), out var r, out var err), err);
            Assert.Equal(number, r!.Type);
        }
    }
}
