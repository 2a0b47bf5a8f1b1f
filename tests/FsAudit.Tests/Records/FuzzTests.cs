using Xunit;
using System.Text;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

/// <summary>Random, truncated and garbled input must never throw out of the parser, builder or correlator.</summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    [
        Line("SYSCALL", 100, SyscallFields(key: Hex("a\u0001b"))),
        Line("CWD", 100, "cwd=" + Hex("/tmp/a b")),
        Line("PATH", 100, PathFields(1, Hex("x\ny"), "CREATE")),
        Line("PROCTITLE", 100, "proctitle=" + Hex("sh\0-c\0true")),
        Line("EXECVE", 100, "argc=3 a0=\"sh\" a1_len=10 a1[0]=\"abcde\" a1[1]=6667686970 a2=(null)"),
        "node=h " + Line("USER_START", 101, "pid=1 uid=0 msg='op=PAM:session_open acct=\"root\" res=success'") + "\x1dUID=\"root\"",
        Line("LOGIN", 102, "pid=1 old-auid=4294967295 auid=0 ses=1 res=1"),
        Line("UNKNOWN[1399]", 103, "x=y"),
        Line("EOE", 100, ""),
    ];

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rng = new Random(12345);
        var corr = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Log, MaxInFlight = 64, LogSlackRecords = 2 });
        var done = new List<AuditEvent>();
        var buf = new byte[400];
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int len = rng.Next(buf.Length);
            rng.NextBytes(buf.AsSpan(0, len));
            // Give some inputs a valid prefix so the deeper code paths run on garbage too.
            var prefix = i % 3 == 0 ? "type=SYSCALL msg=audit(1700000000.1:"u8 : i % 3 == 1 ? "audit(1.2:3): "u8 : default;
            var input = new byte[prefix.Length + len];
            prefix.CopyTo(input);
            buf.AsSpan(0, len).CopyTo(input.AsSpan(prefix.Length));

            if (RecordParser.TryParseKernel((ushort)rng.Next(1000, 2200), input, out var k, out _)) { Exercise(k!, corr, done); parsed++; }
            if (RecordParser.TryParseLogLine(input, true, out var l, out _)) { Exercise(l!, corr, done); parsed++; }
            var chars = Encoding.Latin1.GetString(input);
            if (RecordParser.TryParseLogLine(chars, out var c, out _)) { Exercise(c!, corr, done); parsed++; }
        }
        corr.Flush(done);
        Drain(done);
        Assert.True(parsed > 1000, $"only {parsed} garbage inputs got past the header");
        Assert.Equal(0, corr.Counters.BuildErrors);
        Assert.Equal(corr.Counters.Completed, _events);
    }

    [Fact]
    public void Truncated_and_garbled_real_records_never_throw_and_lose_nothing()
    {
        var rng = new Random(777);
        var corr = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Netlink, MaxInFlight = 32, TimeoutMs = 10 });
        var done = new List<AuditEvent>();
        long accepted = 0;
        for (int round = 0; round < 300; round++)
        {
            foreach (var seed in Seeds)
            {
                for (int cut = 0; cut <= seed.Length; cut += 1 + rng.Next(7))
                {
                    var s = seed[..cut];
                    if (RecordParser.TryParseLogLine(s, out var r, out var err)) { Exercise(r!, corr, done); accepted++; }
                    else Assert.False(string.IsNullOrEmpty(err));
                }
                var garbled = seed.ToCharArray();
                for (int m = 0; m < 4; m++) garbled[rng.Next(garbled.Length)] = (char)rng.Next(0, 256);
                if (RecordParser.TryParseLogLine(new string(garbled), out var g, out _)) { Exercise(g!, corr, done); accepted++; }
            }
            corr.Expire(round * 100, done);
            Drain(done);
        }
        corr.Flush(done);
        Drain(done);
        Assert.Equal(0, corr.InFlight);
        Assert.Equal(accepted, corr.Counters.Records);
        // Every accepted record is in exactly one emitted event, except EOEs.
        long eoes = accepted - _recordsInEvents;
        Assert.True(eoes >= 0 && eoes <= accepted / 5, $"{eoes} records unaccounted");
        Assert.Equal(0, corr.Counters.BuildErrors);
    }

    private void Exercise(AuditRecord r, Correlator corr, List<AuditEvent> done)
    {
        var f = new FieldReader(r.Fields);
        int guard = 0;
        while (f.MoveNext())
        {
            _ = f.DecodeString();
            if (f.Quoting == FieldQuoting.Single)
            {
                var n = f.Nested();
                while (n.MoveNext()) _ = n.DecodeString();
            }
            Assert.True(++guard < 10_000);
        }
        _ = EventJson.ToLine(EventBuilder.Build([r], false));
        corr.Add(r, 0, done);
        Drain(done);
    }

    private long _events, _recordsInEvents;

    private void Drain(List<AuditEvent> done)
    {
        foreach (var e in done)
        {
            _ = EventJson.ToLine(e);
            _events++;
            _recordsInEvents += e.Records.Count;
        }
        done.Clear();
    }
}
