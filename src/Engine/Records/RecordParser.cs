using FsAudit.Engine.Kernel;
using System.Runtime.CompilerServices;
using System.Text;

namespace FsAudit.Engine.Records;

/// <summary>
/// Turns kernel netlink payloads and auditd log lines into <see cref="AuditRecord"/>s. Only the header
/// (type, <c>audit(SEC.MS:SERIAL)</c>) is parsed here; fields are read later with <see cref="FieldReader"/>.
/// Never throws on bad input: it returns false with a short reason.
/// </summary>
public static class RecordParser
{
    /// <summary>auditd's separator between a record's raw text and its ENRICHED translations.</summary>
    public const char EnrichedSeparator = '\x1d';

    private const int MaxTypeNameLength = 64;

    // The node of consecutive lines is nearly always the same host: reuse its string.
    [ThreadStatic] private static string? _lastNode;

    /// <summary>Parses a netlink payload (<c>audit(SEC.MS:SERIAL): fields</c>, maybe NUL/newline-terminated).</summary>
    public static bool TryParseKernel(ushort type, ReadOnlySpan<byte> utf8Payload, out AuditRecord? r, out string? error)
    {
        r = null;
        var payload = TrimEnd(utf8Payload);
        if (payload.IsEmpty) { error = "empty payload"; return false; }
        if (!payload.StartsWith("audit("u8)) { error = "payload does not start with audit("; return false; }
        if (!TryParseHeader(payload, out long ms, out uint serial, out int fieldsStart, out error)) return false;
        r = new AuditRecord(type, ms, serial, payload.ToArray(), fieldsStart);
        return true;
    }

    /// <summary>Parses one auditd log line: <c>[node=HOST ]type=NAME msg=audit(SEC.MS:SERIAL): fields[0x1d enriched]</c>.</summary>
    public static bool TryParseLogLine(ReadOnlySpan<char> line, out AuditRecord? r, out string? error) =>
        TryParseLogLine(line, keepEnriched: true, out r, out error);

    /// <inheritdoc cref="TryParseLogLine(ReadOnlySpan{char}, out AuditRecord?, out string?)"/>
    /// <param name="keepEnriched">Keep auditd's ENRICHED part in <see cref="AuditRecord.Enriched"/> (one more string).</param>
    public static bool TryParseLogLine(ReadOnlySpan<char> line, bool keepEnriched, out AuditRecord? r, out string? error)
    {
        r = null;
        if (!TrySplitLogLine(line, out var node, out var typeName, out var raw, out var enriched, out error)) return false;
        if (!TryParseTypeName(typeName, out ushort type, out error)) return false;
        var text = new byte[Encoding.UTF8.GetByteCount(raw)];
        Encoding.UTF8.GetBytes(raw, text);
        if (!TryParseHeader(text, out long ms, out uint serial, out int fieldsStart, out error)) return false;
        r = new AuditRecord(type, ms, serial, text, fieldsStart, Node(node))
        {
            Enriched = keepEnriched && !enriched.IsEmpty ? new string(enriched) : null,
        };
        return true;
    }

    /// <summary>
    /// Byte form of <see cref="TryParseLogLine(ReadOnlySpan{char}, bool, out AuditRecord?, out string?)"/>
    /// for readers of raw log files: only the record text becomes a string.
    /// </summary>
    public static bool TryParseLogLine(ReadOnlySpan<byte> utf8Line, bool keepEnriched, out AuditRecord? r, out string? error)
    {
        r = null;
        error = null;
        var line = TrimEnd(utf8Line);
        ReadOnlySpan<byte> node = default;
        if (line.StartsWith("node="u8))
        {
            int sp = line.IndexOf((byte)' ');
            if (sp < 0) { error = "missing type= after node="; return false; }
            node = line[5..sp];
            line = line[(sp + 1)..].TrimStart((byte)' ');
        }
        if (!line.StartsWith("type="u8)) { error = "missing type="; return false; }
        line = line[5..];
        int end = line.IndexOf((byte)' ');
        if (end <= 0) { error = "missing msg="; return false; }
        var name = line[..end];
        line = line[end..].TrimStart((byte)' ');
        if (!line.StartsWith("msg="u8)) { error = "missing msg="; return false; }
        line = line[4..];

        ReadOnlySpan<byte> enriched = default;
        int sep = line.IndexOf((byte)EnrichedSeparator);
        if (sep >= 0)
        {
            enriched = line[(sep + 1)..];
            line = line[..sep].TrimEnd((byte)' ');
        }

        if (name.Length > MaxTypeNameLength) { error = "record type name too long"; return false; }
        Span<char> nameChars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) nameChars[i] = (char)name[i];
        if (!TryParseTypeName(nameChars, out ushort type, out error)) return false;
        if (!line.StartsWith("audit("u8)) { error = "msg= does not start with audit("; return false; }

        if (!TryParseHeader(line, out long ms, out uint serial, out int fieldsStart, out error)) return false;
        string? nodeName = null;
        if (!node.IsEmpty)
        {
            Span<char> nodeChars = stackalloc char[Math.Min(node.Length, 256)];
            int n = Encoding.UTF8.GetChars(node[..nodeChars.Length], nodeChars);
            nodeName = Node(nodeChars[..n]);
        }
        r = new AuditRecord(type, ms, serial, line.ToArray(), fieldsStart, nodeName)
        {
            Enriched = keepEnriched && !enriched.IsEmpty ? Encoding.UTF8.GetString(enriched) : null,
        };
        return true;
    }

    private static bool TrySplitLogLine(ReadOnlySpan<char> line, out ReadOnlySpan<char> node, out ReadOnlySpan<char> typeName,
        out ReadOnlySpan<char> raw, out ReadOnlySpan<char> enriched, out string? error)
    {
        node = typeName = raw = enriched = default;
        error = null;
        line = line.TrimEnd("\r\n\0");
        if (line.StartsWith("node="))
        {
            int sp = line.IndexOf(' ');
            if (sp < 0) { error = "missing type= after node="; return false; }
            node = line[5..sp];
            line = line[(sp + 1)..].TrimStart(' ');
        }
        if (!line.StartsWith("type=")) { error = "missing type="; return false; }
        line = line[5..];
        int end = line.IndexOf(' ');
        if (end <= 0) { error = "missing msg="; return false; }
        typeName = line[..end];
        line = line[end..].TrimStart(' ');
        if (!line.StartsWith("msg=")) { error = "missing msg="; return false; }
        line = line[4..];
        int sep = line.IndexOf(EnrichedSeparator);
        if (sep >= 0)
        {
            enriched = line[(sep + 1)..];
            line = line[..sep].TrimEnd(' ');
        }
        if (!line.StartsWith("audit(")) { error = "msg= does not start with audit("; return false; }
        raw = line;
        return true;
    }

    private static bool TryParseTypeName(ReadOnlySpan<char> name, out ushort type, out string? error)
    {
        type = 0;
        if (!RecordTypeNames.TryParse(name, out int t))
        {
            error = $"unknown record type '{Truncate(name)}'";
            return false;
        }
        if ((uint)t > ushort.MaxValue)
        {
            error = $"record type {t} out of range";
            return false;
        }
        type = (ushort)t;
        error = null;
        return true;
    }

    /// <summary>Parses <c>audit(SEC.MS:SERIAL): </c> at the start of UTF-8 <paramref name="text"/>; <paramref name="fieldsStart"/> is a byte offset.</summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> text, out long timestampMs, out uint serial, out int fieldsStart, out string? error) =>
        TryParseHeader(text, canonicalFirst: true, out timestampMs, out serial, out fieldsStart, out error);

    /// <param name="canonicalFirst">False skips the one-pass form (tests compare both paths).</param>
    internal static bool TryParseHeader(ReadOnlySpan<byte> text, bool canonicalFirst, out long timestampMs, out uint serial,
        out int fieldsStart, out string? error)
    {
        timestampMs = 0;
        serial = 0;
        fieldsStart = 0;
        error = null;
        if (!text.StartsWith("audit("u8)) { error = "missing audit("; return false; }
        int close = canonicalFirst ? TryParseCanonicalStamp(text, out timestampMs, out serial) : -1;
        if (close < 0)
        {
            if (!TryParseStamp(text, out timestampMs, out serial, out close, out error)) return false;
        }

        int pos = close + 1;
        if (pos < text.Length && text[pos] == (byte)':') pos++;
        while (pos < text.Length && text[pos] == (byte)' ') pos++;
        fieldsStart = pos;
        return true;
    }

    /// <summary>
    /// The kernel's form <c>audit(DIGITS.D[DD]:DIGITS)</c> in one pass (the header was 5 % of the reader's profile as
    /// three searches and three parses): the index of the ')' or -1 for anything else, which <see cref="TryParseStamp"/>
    /// then handles (or refuses) as before. Accepts only what <see cref="TryParseStamp"/> accepts, with the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TryParseCanonicalStamp(ReadOnlySpan<byte> text, out long timestampMs, out uint serial)
    {
        timestampMs = 0;
        serial = 0;
        int i = 6, n = text.Length;
        // Seconds: 1..18 digits (no overflow), at most 100_000_000_000 (checked below).
        ulong sec = 0;
        int start = i;
        uint d;
        while (i < n && (d = (uint)(text[i] - '0')) <= 9 && i - start < 18) { sec = sec * 10 + d; i++; }
        if (i == start || i >= n || text[i] != (byte)'.' || sec > 100_000_000_000UL) return -1;
        i++;
        uint ms = 0;
        start = i;
        while (i < n && (d = (uint)(text[i] - '0')) <= 9 && i - start < 3) { ms = ms * 10 + d; i++; }
        if (i == start || i >= n || text[i] != (byte)':') return -1;
        i++;
        // Serial: 1..10 digits within uint.
        ulong ser = 0;
        start = i;
        while (i < n && (d = (uint)(text[i] - '0')) <= 9 && i - start < 10) { ser = ser * 10 + d; i++; }
        if (i == start || i >= n || text[i] != (byte)')' || ser > uint.MaxValue) return -1;
        timestampMs = (long)sec * 1000 + ms;
        serial = (uint)ser;
        return i;
    }

    /// <summary>The general <c>audit(SEC.MS:SERIAL)</c> parse (signs, leading zeros, trailing NULs as the number parsers allow); <paramref name="close"/> is the index of ')'.</summary>
    private static bool TryParseStamp(ReadOnlySpan<byte> text, out long timestampMs, out uint serial, out int close, out string? error)
    {
        timestampMs = 0;
        serial = 0;
        error = null;
        close = text.IndexOf((byte)')');
        if (close < 0) { error = "missing ) after audit("; return false; }
        var stamp = text[6..close];
        int dot = stamp.IndexOf((byte)'.');
        int colon = stamp.IndexOf((byte)':');
        if (dot <= 0 || colon < dot + 2) { error = "bad timestamp in audit(SEC.MS:SERIAL)"; return false; }
        if (!FieldDecoder.TryParseInt64(stamp[..dot], out long sec) || sec < 0 || sec > 100_000_000_000L)
        { error = "bad seconds in audit(SEC.MS:SERIAL)"; return false; }
        var msPart = stamp[(dot + 1)..colon];
        if (msPart.Length > 3 || !FieldDecoder.TryParseUInt32(msPart, out uint ms))
        { error = "bad milliseconds in audit(SEC.MS:SERIAL)"; return false; }
        if (!FieldDecoder.TryParseUInt32(stamp[(colon + 1)..], out serial))
        { error = "bad serial in audit(SEC.MS:SERIAL)"; return false; }
        timestampMs = sec * 1000 + ms;
        return true;
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> s)
    {
        int n = s.Length;
        while (n > 0 && (s[n - 1] == 0 || s[n - 1] == (byte)'\n' || s[n - 1] == (byte)'\r')) n--;
        return s[..n];
    }

    private static string? Node(ReadOnlySpan<char> node)
    {
        if (node.IsEmpty) return null;
        var last = _lastNode;
        if (last != null && node.SequenceEqual(last)) return last;
        return _lastNode = new string(node);
    }

    private static string Truncate(ReadOnlySpan<char> s) => s.Length <= 40 ? new string(s) : string.Concat(s[..40], "...");
}
