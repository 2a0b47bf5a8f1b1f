using System.Text;
using System.Text.Json;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Parse;

/// <summary>
/// The netlink engineer's capture of real kernel records for known file operations:
/// kernel-ops.netlink (<c>TYPE TEXT</c> per line, EOE included), kernel-ops.log (auditd RAW form, no EOE)
/// and kernel-ops.manifest.json (the operations performed and the serial each produced).
/// </summary>
internal static class KernelOpsFixture
{
    public sealed record Operation(string Op, string Syscall, int SyscallNumber, string[] Paths, bool Success, uint? Serial, string? Errno, string? Cwd);

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures");
    public static string NetlinkPath => Path.Combine(Dir, "kernel-ops.netlink");
    public static string LogPath => Path.Combine(Dir, "kernel-ops.log");

    public static IReadOnlyList<Operation> Operations { get; } = LoadManifest();

    private static List<Operation> LoadManifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, "kernel-ops.manifest.json")));
        var ops = new List<Operation>();
        foreach (var o in doc.RootElement.GetProperty("operations").EnumerateArray())
        {
            ops.Add(new Operation(
                o.GetProperty("op").GetString()!,
                o.GetProperty("syscall").GetString()!,
                o.GetProperty("syscallNumber").GetInt32(),
                o.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToArray(),
                o.GetProperty("success").GetBoolean(),
                o.GetProperty("serial").ValueKind == JsonValueKind.Null ? null : o.GetProperty("serial").GetUInt32(),
                o.TryGetProperty("errno", out var e) ? e.GetString() : null,
                o.TryGetProperty("cwd", out var c) ? c.GetString() : null));
        }
        return ops;
    }

    /// <summary>Parses kernel-ops.netlink with the kernel entry point; every line must parse.</summary>
    public static List<AuditRecord> NetlinkRecords()
    {
        var records = new List<AuditRecord>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(NetlinkPath, Encoding.UTF8))
        {
            lineNo++;
            if (line.Length == 0) continue;
            int sp = line.IndexOf(' ');
            Assert.True(sp > 0, $"line {lineNo}: no type");
            var type = ushort.Parse(line.AsSpan(0, sp));
            Assert.True(RecordParser.TryParseKernel(type, Encoding.UTF8.GetBytes(line[(sp + 1)..] + "\0"), out var r, out var err), $"line {lineNo}: {err}");
            records.Add(r!);
        }
        return records;
    }

    public static List<AuditEvent> Correlate(IEnumerable<AuditRecord> records, CorrelationMode mode, out Correlator correlator)
    {
        correlator = new Correlator(new CorrelatorOptions { Mode = mode });
        var events = new List<AuditEvent>();
        foreach (var r in records) correlator.Add(r, 0, events);
        correlator.Flush(events);
        return events;
    }
}
