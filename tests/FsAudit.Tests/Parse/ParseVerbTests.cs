using System.Text;
using System.Text.Json;
using FsAudit.Engine.Records;
using FsAudit.Host.Verbs;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Parse;

public class ParseVerbTests
{
    [Fact]
    public void Malformed_lines_are_reported_with_line_numbers_and_skipped()
    {
        var log = string.Join("\n",
            Line("SYSCALL", 10, SyscallFields()),                       // 1
            Line("CWD", 10, "cwd=\"/tmp\""),                            // 2
            "this is not an audit record",                              // 3
            "",                                                         // 4 (blank: ignored)
            Line("PATH", 10, PathFields(0, "\"f\"", "NORMAL")),         // 5
            "type=BOGUS msg=audit(1700000000.000:11): x=1",             // 6
            "node=h1 " + Line("USER_LOGIN", 11, "pid=5 uid=0 auid=1000 ses=2 msg='op=login acct=\"al\" exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.1 terminal=ssh res=success'") + "\x1dUID=\"root\" AUID=\"al\"", // 7
            Line("SYSCALL", 12, SyscallFields(syscall: 87, success: "no", exit: -13)), // 8
            "type=SYSCALL msg=audit(1700000000.000:xx): broken")        // 9, no final newline
            ;
        var (exit, lines, stderr) = KernelOpsTests.RunParse(Encoding.UTF8.GetBytes(log));
        Assert.Equal(0, exit);
        Assert.Contains("line 3:", stderr);
        Assert.Contains("line 6:", stderr);
        Assert.Contains("unknown record type", stderr);
        Assert.Contains("line 9:", stderr);
        Assert.DoesNotContain("line 4:", stderr);
        Assert.Contains("3 malformed", stderr);
        Assert.Equal(3, lines.Count);

        var docs = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([10u, 11u, 12u], docs.Select(d => d.GetProperty("serial").GetUInt32()));
        Assert.Equal("/tmp/f", docs[0].GetProperty("paths")[0].GetProperty("name").GetString());
        Assert.Equal(3, docs[0].GetProperty("records").GetInt32());
        Assert.Equal("USER_LOGIN", docs[1].GetProperty("type").GetString());
        Assert.Equal("h1", docs[1].GetProperty("node").GetString());
        Assert.Equal("/usr/sbin/sshd", docs[1].GetProperty("exe").GetString());
        Assert.Equal("EACCES", docs[2].GetProperty("errno").GetString());
    }

    [Fact]
    public void Empty_input_prints_nothing()
    {
        var (exit, lines, stderr) = KernelOpsTests.RunParse([]);
        Assert.Equal(0, exit);
        Assert.Empty(lines);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Unreadable_input_exits_non_zero()
    {
        var error = new StringWriter();
        int exit = ParseVerb.Run(new FailingStream(), new MemoryStream(), error);
        Assert.NotEqual(0, exit);
        Assert.Contains("cannot read input", error.ToString());
    }

    [Fact]
    public void Over_long_line_is_reported_and_the_next_line_still_parses()
    {
        var huge = "type=SYSCALL msg=audit(1700000000.000:1): " + new string('x', 3 << 20);
        var log = huge + "\n" + Line("SYSCALL", 2, SyscallFields()) + "\n";
        var (exit, lines, stderr) = KernelOpsTests.RunParse(Encoding.UTF8.GetBytes(log));
        Assert.Equal(0, exit);
        Assert.Contains("line 1: line too long", stderr);
        var only = Assert.Single(lines);
        Assert.Equal(2u, JsonDocument.Parse(only).RootElement.GetProperty("serial").GetUInt32());
    }

    [Fact]
    public void Line_reader_splits_across_buffer_boundaries()
    {
        var text = string.Join("\n", Enumerable.Range(0, 5000).Select(i => new string((char)('a' + i % 26), i % 700))) + "\n";
        var reader = new LogLineReader(new MemoryStream(Encoding.ASCII.GetBytes(text)), bufferSize: 256, maxLineBytes: 4096);
        int n = 0;
        while (reader.TryReadLine(out var line))
        {
            Assert.Equal(n % 700, line.Length);
            Assert.False(reader.LineTooLong);
            n++;
            Assert.Equal(n, reader.LineNumber);
        }
        Assert.Equal(5000, n);
        Assert.Equal(text.Length, reader.Position);
    }

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("Input/output error");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
