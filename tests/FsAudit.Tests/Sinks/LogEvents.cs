using System.Text;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Tests.Sinks;

/// <summary>Events built from auditd log lines the way <c>fsaudit parse</c> builds them.</summary>
public static class LogEvents
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    public static List<AuditEvent> FromLines(IEnumerable<string> lines)
    {
        var correlator = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Log, TimeoutMs = 10_000, MaxInFlight = 65_536 });
        var events = new List<AuditEvent>();
        long newest = long.MinValue;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (!RecordParser.TryParseLogLine(line, out var record, out var error))
                throw new InvalidDataException($"fixture line does not parse ({error}): {line}");
            newest = Math.Max(newest, record!.TimestampMs);
            correlator.Add(record, newest, events);
        }
        correlator.Flush(events);
        return events;
    }

    public static List<AuditEvent> FromFixture() => FromLines(File.ReadLines(Fixture("kernel-ops.log"), Encoding.UTF8));
}
