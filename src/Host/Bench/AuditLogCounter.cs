namespace FsAudit.Host.Bench;

/// <summary>
/// Counts the records (lines) and events of an auditd log from a byte offset on. auditd writes no EOE lines
/// and records of concurrent events may interleave, so events are counted as SYSCALL records: every event a
/// watch rule produces has exactly one.
/// </summary>
public static class AuditLogCounter
{
    public static (long Records, long Events) Count(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        stream.Position = Math.Min(offset, stream.Length);
        return Count(stream);
    }

    public static (long Records, long Events) Count(Stream stream)
    {
        var buffer = new byte[1 << 20];
        int filled = 0;
        long records = 0, events = 0;
        bool skipping = false; // inside a line longer than the buffer
        while (true)
        {
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            bool eof = n == 0;
            filled += n;
            var span = buffer.AsSpan(0, filled);
            int consumed = 0;
            while (true)
            {
                int nl = span[consumed..].IndexOf((byte)'\n');
                if (nl < 0) break;
                if (!skipping) Line(span.Slice(consumed, nl), ref records, ref events);
                skipping = false;
                consumed += nl + 1;
            }
            if (eof)
            {
                if (consumed < filled && !skipping) Line(span[consumed..], ref records, ref events);
                return (records, events);
            }
            if (consumed == 0 && filled == buffer.Length)
            {
                // One line fills the buffer: count it once, drop the rest of it.
                if (!skipping) Line(span, ref records, ref events);
                skipping = true;
                filled = 0;
                continue;
            }
            span[consumed..].CopyTo(buffer);
            filled -= consumed;
        }
    }

    private static void Line(ReadOnlySpan<byte> line, ref long records, ref long events)
    {
        if (line.IsEmpty) return;
        records++;
        if (line.StartsWith("type=SYSCALL "u8)) events++;
    }
}
