using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Host.Verbs;

/// <summary>
/// <c>fsaudit parse</c>: reads an auditd log, groups its records into events and prints one JSON object
/// per event per line. Malformed lines are reported on stderr with their line number and skipped.
/// Streams: memory stays bounded whatever the log size.
/// </summary>
public static class ParseVerb
{
    /// <summary>Malformed lines reported one by one; beyond this only a count is printed.</summary>
    public const int MaxReportedErrors = 100;

    /// <summary>Log-time timeout: an event still open this long after its first record is emitted.</summary>
    private const long LogTimeoutMs = 10_000;

    public static int Run(Stream input, Stream output, TextWriter error)
    {
        var correlator = new Correlator(new CorrelatorOptions
        {
            Mode = CorrelationMode.Log,
            TrackGaps = true,
            TimeoutMs = LogTimeoutMs,
            MaxInFlight = 65_536,
        });
        var reader = new LogLineReader(input);
        var events = new List<AuditEvent>(256);
        var buffered = new BufferedStream(output, 1 << 16);
        long malformed = 0, records = 0, written = 0, newestMs = long.MinValue;

        try
        {
            while (true)
            {
                ReadOnlySpan<byte> line;
                try
                {
                    if (!reader.TryReadLine(out line)) break;
                }
                catch (IOException ex)
                {
                    error.WriteLine($"fsaudit parse: cannot read input: {ex.Message}");
                    return 1;
                }
                if (IsBlank(line)) continue;

                string? reason;
                AuditRecord? record = null;
                if (reader.LineTooLong) reason = "line too long";
                else RecordParser.TryParseLogLine(line, keepEnriched: false, out record, out reason);
                if (record == null)
                {
                    if (++malformed <= MaxReportedErrors)
                        error.WriteLine($"fsaudit parse: line {reader.LineNumber}: {reason ?? "malformed"}, skipped");
                    continue;
                }

                records++;
                if (record.TimestampMs > newestMs) newestMs = record.TimestampMs;
                // Log time is the clock: timeouts mean "this much later in the log", not wall time.
                correlator.Add(record, newestMs, events);
                if ((records & 4095) == 0) correlator.Expire(newestMs, events);
                if (events.Count > 0) written += Write(buffered, events);
            }
            correlator.Flush(events);
            written += Write(buffered, events);
            buffered.Flush();
        }
        catch (IOException ex)
        {
            error.WriteLine($"fsaudit parse: cannot write output: {ex.Message}");
            return 1;
        }

        if (malformed > MaxReportedErrors)
            error.WriteLine($"fsaudit parse: {malformed - MaxReportedErrors} more malformed lines not shown");
        var c = correlator.Counters;
        if (malformed > 0 || c.PossiblyLostSerials > 0 || c.Evicted > 0 || c.BuildErrors > 0)
        {
            error.WriteLine($"fsaudit parse: {records} records, {written} events, {malformed} malformed lines, " +
                $"{c.PossiblyLostSerials} possibly lost serials, {c.Evicted} evicted, {c.LateRecords} late records");
        }
        return 0;
    }

    private static long Write(Stream output, List<AuditEvent> events)
    {
        foreach (var e in events) EventJson.WriteLine(output, e);
        long n = events.Count;
        events.Clear();
        return n;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (byte b in line)
            if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r') return false;
        return true;
    }
}
