using System.Globalization;
using System.Text;
using FsAudit.Engine.Netlink;

namespace FsAudit.Tests.Kernel;

/// <summary>A record received from the kernel in a test: its type and text (trailing NUL/newline stripped).</summary>
public sealed record ReceivedRecord(ushort Type, string Text)
{
    /// <summary>The event serial from <c>audit(SEC.MS:SERIAL):</c>, or null when the text has no such header.</summary>
    public uint? Serial
    {
        get
        {
            int colon = Text.IndexOf(':');
            int close = Text.IndexOf("):", StringComparison.Ordinal);
            if (!Text.StartsWith("audit(", StringComparison.Ordinal) || colon < 0 || close < colon) return null;
            return uint.TryParse(Text.AsSpan(colon + 1, close - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint s) ? s : null;
        }
    }

    /// <summary>The raw value of a <c>key=value</c> field (quotes kept), or null.</summary>
    public string? Field(string key)
    {
        string probe = " " + key + "=";
        int i = Text.IndexOf(probe, StringComparison.Ordinal);
        if (i < 0) return null;
        int start = i + probe.Length;
        int end = start;
        if (end < Text.Length && Text[end] == '"')
        {
            end = Text.IndexOf('"', start + 1);
            return end < 0 ? Text[start..] : Text[start..(end + 1)];
        }
        while (end < Text.Length && Text[end] != ' ') end++;
        return Text[start..end];
    }
}

/// <summary>Receives records from a daemon connection in kernel tests.</summary>
public static class KernelRecords
{
    /// <summary>
    /// Receives until <paramref name="done"/> holds for the records so far or <paramref name="timeoutMs"/> passes;
    /// then keeps receiving for <paramref name="settleMs"/> so late duplicates would be seen.
    /// </summary>
    public static List<ReceivedRecord> ReceiveUntil(AuditDaemonConnection daemon, Func<List<ReceivedRecord>, bool> done,
        int timeoutMs = 10_000, int settleMs = 300)
    {
        var records = new List<ReceivedRecord>();
        var buffer = new byte[256 * 1024];
        long deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline && !done(records))
            Append(records, buffer, daemon.Receive(buffer, (int)Math.Max(1, deadline - Environment.TickCount64)));
        long settle = Environment.TickCount64 + settleMs;
        while (Environment.TickCount64 < settle)
            Append(records, buffer, daemon.Receive(buffer, (int)Math.Max(1, settle - Environment.TickCount64)));
        return records;
    }

    private static void Append(List<ReceivedRecord> records, byte[] buffer, int length)
    {
        var reader = new NetlinkMessageReader(buffer.AsSpan(0, length));
        while (reader.MoveNext())
        {
            var m = reader.Current;
            if (m.IsRecord) records.Add(new ReceivedRecord(m.Type, Encoding.UTF8.GetString(m.Text)));
        }
        if (reader.Malformed) throw new InvalidDataException($"Malformed netlink data from the kernel ({reader.MalformedBytes} bytes).");
    }
}
