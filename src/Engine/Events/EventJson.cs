using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Events;

/// <summary>
/// The JSON shape of an event. <see cref="WriteProperties"/> writes only the properties so callers can
/// add their own (<c>offset</c>, <c>classes</c>) inside the same object. Ids print the kernel's unset
/// value 4294967295 as -1; absent values are null; numbers the kernel prints in hex stay hex strings.
/// </summary>
public static class EventJson
{
    /// <summary>Writer options: no HTML escaping of '/', '+', etc. (paths stay readable).</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] private static Utf8JsonWriter? _writer;

    public static void WriteProperties(Utf8JsonWriter w, AuditEvent e)
    {
        w.WriteNumber("serial", e.Serial);
        WriteTimestamp(w, e.TimestampMs);
        w.WriteString("type", e.Type);
        if (e.Node != null) w.WriteString("node", e.Node);

        if (e.Syscall is { } nr)
        {
            if (e.SyscallName != null) w.WriteString("syscall", e.SyscallName);
            else w.WriteString("syscall", nr.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("syscall_nr", nr);
        }
        else w.WriteNull("syscall");
        if (e.Arch is { } arch) w.WriteString("arch", arch == X86_64Syscalls.AuditArch ? "x86_64" : arch.ToString("x", CultureInfo.InvariantCulture));
        NullableBool(w, "success", e.Success);
        NullableLong(w, "exit", e.Exit);
        if (e.Errno != null) w.WriteString("errno", e.Errno);
        if (e.A0.HasValue)
        {
            w.WriteStartArray("args");
            HexArg(w, e.A0); HexArg(w, e.A1); HexArg(w, e.A2); HexArg(w, e.A3);
            w.WriteEndArray();
        }
        if (e.Items is { } items) w.WriteNumber("items", items);

        NullableLong(w, "pid", e.Pid);
        NullableLong(w, "ppid", e.Ppid);
        Id(w, "uid", e.Uid);
        Id(w, "gid", e.Gid);
        Id(w, "auid", e.Auid);
        if (e.Euid.HasValue) Id(w, "euid", e.Euid);
        if (e.Suid.HasValue) Id(w, "suid", e.Suid);
        if (e.Fsuid.HasValue) Id(w, "fsuid", e.Fsuid);
        if (e.Egid.HasValue) Id(w, "egid", e.Egid);
        if (e.Sgid.HasValue) Id(w, "sgid", e.Sgid);
        if (e.Fsgid.HasValue) Id(w, "fsgid", e.Fsgid);
        Id(w, "ses", e.Ses);
        if (e.Tty != null) w.WriteString("tty", e.Tty);
        w.WriteString("comm", e.Comm);
        w.WriteString("exe", e.Exe);
        if (e.Subj != null) w.WriteString("subj", e.Subj);
        w.WriteString("key", e.Key);
        if (e.Keys.Count > 1)
        {
            w.WriteStartArray("keys");
            foreach (var k in e.Keys) w.WriteStringValue(k);
            w.WriteEndArray();
        }
        if (e.Result != null) w.WriteString("res", e.Result);
        w.WriteString("cwd", e.Cwd);
        w.WriteString("proctitle", e.Proctitle);
        if (e.Argv != null)
        {
            w.WriteStartArray("argv");
            foreach (var a in e.Argv) w.WriteStringValue(a);
            w.WriteEndArray();
        }

        w.WriteStartArray("paths");
        foreach (var p in e.Paths)
        {
            w.WriteStartObject();
            w.WriteNumber("item", p.Item);
            w.WriteString("name", p.Name);
            w.WriteString("nametype", p.NameType);
            if (p.Inode is { } ino) w.WriteNumber("inode", ino); else w.WriteNull("inode");
            if (p.Mode is { } mode) WriteOctal(w, "mode", mode); else w.WriteNull("mode");
            if (p.Dev != null) w.WriteString("dev", p.Dev);
            if (p.Ouid.HasValue) Id(w, "ouid", p.Ouid);
            if (p.Ogid.HasValue) Id(w, "ogid", p.Ogid);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteNumber("records", e.Records.Count);
        w.WriteBoolean("incomplete", e.Incomplete);
    }

    /// <summary>
    /// Writes the event as one JSON line (object + '\n') to the stream <paramref name="w"/> writes to, reusing the writer.
    /// </summary>
    public static void WriteLine(Utf8JsonWriter w, Stream output, AuditEvent e)
    {
        w.Reset();
        w.WriteStartObject();
        WriteProperties(w, e);
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary>The event as one compact JSON object (no trailing newline).</summary>
    public static string ToLine(AuditEvent e)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        w.Reset(buffer);
        w.WriteStartObject();
        WriteProperties(w, e);
        w.WriteEndObject();
        w.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteTimestamp(Utf8JsonWriter w, long ms)
    {
        Span<char> buf = stackalloc char[32];
        var dt = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
        dt.TryFormat(buf, out int n, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        w.WriteString("timestamp", buf[..n]);
    }

    /// <summary>Octal with a leading 0, as the kernel prints modes (0100644).</summary>
    private static void WriteOctal(Utf8JsonWriter w, string name, uint v)
    {
        Span<char> buf = stackalloc char[12];
        int i = buf.Length;
        do { buf[--i] = (char)('0' + (v & 7)); v >>= 3; } while (v != 0);
        buf[--i] = '0';
        w.WriteString(name, buf[i..]);
    }

    private static void HexArg(Utf8JsonWriter w, ulong? v)
    {
        if (v is { } x)
        {
            Span<char> buf = stackalloc char[16];
            x.TryFormat(buf, out int n, "x", CultureInfo.InvariantCulture);
            w.WriteStringValue(buf[..n]);
        }
        else w.WriteNullValue();
    }

    private static void Id(Utf8JsonWriter w, string name, uint? v)
    {
        if (v is { } x) w.WriteNumber(name, x == AuditEvent.Unset ? -1L : x);
        else w.WriteNull(name);
    }

    private static void NullableLong(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
    }

    private static void NullableBool(Utf8JsonWriter w, string name, bool? v)
    {
        if (v is { } x) w.WriteBoolean(name, x); else w.WriteNull(name);
    }
}
