using System.Text;
using System.Text.Json;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using FsAudit.Host.Verbs;
using Xunit;

namespace FsAudit.Tests.Parse;

/// <summary>Parser + correlator + builder over records captured from the real kernel.</summary>
public class KernelOpsTests
{
    private static readonly IReadOnlyList<KernelOpsFixture.Operation> Expected =
        KernelOpsFixture.Operations.Where(o => o.Serial != null).ToList();

    [Fact]
    public void Manifest_is_non_trivial()
    {
        Assert.True(Expected.Count >= 100, $"{Expected.Count} operations with events");
        Assert.Contains(Expected, o => !o.Success);
        Assert.Contains(Expected, o => o.Cwd != null);
    }

    [Fact]
    public void Netlink_capture_yields_each_operation_once_with_syscall_absolute_paths_and_result()
    {
        var records = KernelOpsFixture.NetlinkRecords();
        var events = KernelOpsFixture.Correlate(records, CorrelationMode.Netlink, out var c);
        CheckAgainstManifest(events.Select(Summary.Of).ToList());
        Assert.All(events, e => Assert.False(e.Incomplete));
        Assert.Equal(0, c.InFlight);
        Assert.Equal(0, c.Counters.PossiblyLostSerials);
        Assert.Equal(0, c.Counters.LateRecords);
        Assert.Equal(records.Count, c.Counters.Records);
        // Every non-EOE record ends in exactly one event.
        Assert.Equal(records.Count(r => r.Type != RecordKinds.Eoe), events.Sum(e => e.Records.Count));
        Assert.Equal(records.Select(r => r.Serial).Distinct().Count(), events.Count);
    }

    [Fact]
    public void Log_capture_through_parse_verb_yields_each_operation_once()
    {
        var (exit, lines, stderr) = RunParse(File.ReadAllBytes(KernelOpsFixture.LogPath));
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        var summaries = lines.Select(Summary.OfJson).ToList();
        CheckAgainstManifest(summaries);
        Assert.All(lines, l => Assert.False(JsonDocument.Parse(l).RootElement.GetProperty("incomplete").GetBoolean()));
        // Serial order.
        Assert.Equal(summaries.Select(s => s.Serial).OrderBy(s => s), summaries.Select(s => s.Serial));
        int logLines = File.ReadAllLines(KernelOpsFixture.LogPath).Count(l => l.Length > 0);
        Assert.Equal(logLines, summaries.Sum(s => s.Records));
    }

    [Fact]
    public void Netlink_and_log_captures_give_the_same_events()
    {
        var fromNetlink = KernelOpsFixture.Correlate(KernelOpsFixture.NetlinkRecords(), CorrelationMode.Netlink, out _)
            .Select(Summary.Of).OrderBy(s => s.Serial).ToList();
        var logRecords = File.ReadLines(KernelOpsFixture.LogPath).Where(l => l.Length > 0).Select(l =>
        {
            Assert.True(RecordParser.TryParseLogLine(l, out var r, out var err), err);
            return r!;
        });
        var fromLog = KernelOpsFixture.Correlate(logRecords, CorrelationMode.Log, out _).Select(Summary.Of).ToList();
        Assert.Equal(fromNetlink.Count, fromLog.Count);
        for (int i = 0; i < fromLog.Count; i++) Assert.Equal(fromNetlink[i].ToString(), fromLog[i].ToString());
    }

    private static void CheckAgainstManifest(List<Summary> events)
    {
        var bySerial = events.GroupBy(e => e.Serial).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var op in Expected)
        {
            Assert.True(bySerial.TryGetValue(op.Serial!.Value, out var matches), $"{op.Op}: no event with serial {op.Serial}");
            var e = Assert.Single(matches);
            Assert.Equal(op.Syscall, e.Syscall);
            Assert.Equal(op.SyscallNumber, e.SyscallNumber);
            Assert.Equal(op.Success, e.Success);
            if (op.Errno != null) Assert.Equal(op.Errno, e.Errno);
            foreach (var p in op.Paths)
            {
                // A failed lookup of a missing file leaves only the PARENT item, logged as the name's
                // directory part: the file name itself is not in the records.
                bool found = e.Paths.Contains(p) || (!op.Success && e.Paths.Contains(Path.GetDirectoryName(p)!));
                Assert.True(found, $"{op.Op} (serial {op.Serial}): {p} not among [{string.Join(", ", e.Paths)}]");
            }
            Assert.All(e.Paths, p => Assert.StartsWith("/", p));
        }
    }

    internal static (int Exit, List<string> Lines, string Stderr) RunParse(byte[] input)
    {
        using var output = new MemoryStream();
        var error = new StringWriter();
        int exit = ParseVerb.Run(new MemoryStream(input), output, error);
        var text = Encoding.UTF8.GetString(output.ToArray());
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        return (exit, lines, error.ToString());
    }

    /// <summary>What the manifest can check, from either the model or the JSON.</summary>
    private sealed record Summary(uint Serial, string Type, string? Syscall, int? SyscallNumber, bool? Success, string? Errno, List<string> Paths, int Records)
    {
        public static Summary Of(AuditEvent e) => new(e.Serial, e.Type, e.SyscallName, e.Syscall, e.Success, e.Errno,
            e.Paths.Where(p => p.Name != null).Select(p => p.Name!).ToList(), e.Records.Count);

        public static Summary OfJson(string line)
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            return new Summary(
                r.GetProperty("serial").GetUInt32(),
                r.GetProperty("type").GetString()!,
                r.GetProperty("syscall").GetString(),
                r.TryGetProperty("syscall_nr", out var nr) ? nr.GetInt32() : null,
                r.GetProperty("success").ValueKind == JsonValueKind.Null ? null : r.GetProperty("success").GetBoolean(),
                r.TryGetProperty("errno", out var en) ? en.GetString() : null,
                r.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("name").GetString()).OfType<string>().ToList(),
                r.GetProperty("records").GetInt32());
        }

        public override string ToString() =>
            $"{Serial} {Type} {Syscall}/{SyscallNumber} {Success} {Errno} [{string.Join("|", Paths)}] {Records}";
    }
}
