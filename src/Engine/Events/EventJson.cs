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
        w.WriteNumber(N.Serial, e.Serial);
        WriteTimestamp(w, e.TimestampMs);
        EncodedStrings.Write(w, N.Type, e.Type);
        if (e.Node != null) w.WriteString(N.Node, e.Node);

        if (e.Syscall is { } nr)
        {
            if (e.SyscallName != null) EncodedStrings.Write(w, N.Syscall, e.SyscallName);
            else w.WriteString(N.Syscall, nr.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber(N.SyscallNr, nr);
        }
        else w.WriteNull(N.Syscall);
        if (e.Arch is { } arch)
        {
            if (arch == X86_64Syscalls.AuditArch) w.WriteString(N.Arch, N.X86_64);
            else w.WriteString(N.Arch, arch.ToString("x", CultureInfo.InvariantCulture));
        }
        NullableBool(w, N.Success, e.Success);
        NullableLong(w, N.Exit, e.Exit);
        if (e.Errno != null) EncodedStrings.Write(w, N.Errno, e.Errno);
        if (e.A0.HasValue)
        {
            w.WriteStartArray(N.Args);
            HexArg(w, e.A0); HexArg(w, e.A1); HexArg(w, e.A2); HexArg(w, e.A3);
            w.WriteEndArray();
        }
        if (e.Items is { } items) w.WriteNumber(N.Items, items);

        NullableLong(w, N.Pid, e.Pid);
        NullableLong(w, N.Ppid, e.Ppid);
        Id(w, N.Uid, e.Uid);
        Id(w, N.Gid, e.Gid);
        Id(w, N.Auid, e.Auid);
        if (e.Euid.HasValue) Id(w, N.Euid, e.Euid);
        if (e.Suid.HasValue) Id(w, N.Suid, e.Suid);
        if (e.Fsuid.HasValue) Id(w, N.Fsuid, e.Fsuid);
        if (e.Egid.HasValue) Id(w, N.Egid, e.Egid);
        if (e.Sgid.HasValue) Id(w, N.Sgid, e.Sgid);
        if (e.Fsgid.HasValue) Id(w, N.Fsgid, e.Fsgid);
        Id(w, N.Ses, e.Ses);
        if (e.Tty != null) EncodedStrings.Write(w, N.Tty, e.Tty);
        EncodedStrings.Write(w, N.Comm, e.Comm);
        EncodedStrings.Write(w, N.Exe, e.Exe);
        if (e.Subj != null) EncodedStrings.Write(w, N.Subj, e.Subj);
        EncodedStrings.Write(w, N.Key, e.Key);
        if (e.Keys.Count > 1)
        {
            w.WriteStartArray(N.Keys);
            foreach (var k in e.Keys) w.WriteStringValue(k);
            w.WriteEndArray();
        }
        if (e.Result != null) EncodedStrings.Write(w, N.Res, e.Result);
        EncodedStrings.Write(w, N.Cwd, e.Cwd);
        EncodedStrings.Write(w, N.Proctitle, e.Proctitle);
        if (e.Argv != null)
        {
            w.WriteStartArray(N.Argv);
            foreach (var a in e.Argv) w.WriteStringValue(a);
            w.WriteEndArray();
        }

        w.WriteStartArray(N.Paths);
        var paths = e.Paths;
        for (int i = 0; i < paths.Count; i++) // indexed: foreach would box an enumerator per event
        {
            var p = paths[i];
            w.WriteStartObject();
            w.WriteNumber(N.Item, p.Item);
            w.WriteString(N.Name, p.Name); // resolved per event: not interned, so not cached
            EncodedStrings.Write(w, N.Nametype, p.NameType);
            if (p.Inode is { } ino) w.WriteNumber(N.Inode, ino); else w.WriteNull(N.Inode);
            if (p.Mode is { } mode) WriteOctal(w, N.Mode, mode); else w.WriteNull(N.Mode);
            if (p.Dev != null) EncodedStrings.Write(w, N.Dev, p.Dev);
            if (p.Ouid.HasValue) Id(w, N.Ouid, p.Ouid);
            if (p.Ogid.HasValue) Id(w, N.Ogid, p.Ogid);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteNumber(N.Records, e.Records.Count);
        w.WriteBoolean(N.Incomplete, e.Incomplete);
    }

    /// <summary>Property names, escaped and transcoded once.</summary>
    private static class N
    {
        public static readonly JsonEncodedText Serial = E("serial"), Timestamp = E("timestamp"), Type = E("type"), Node = E("node"),
            Syscall = E("syscall"), SyscallNr = E("syscall_nr"), Arch = E("arch"), X86_64 = E("x86_64"), Success = E("success"),
            Exit = E("exit"), Errno = E("errno"), Args = E("args"), Items = E("items"), Pid = E("pid"), Ppid = E("ppid"),
            Uid = E("uid"), Gid = E("gid"), Auid = E("auid"), Euid = E("euid"), Suid = E("suid"), Fsuid = E("fsuid"),
            Egid = E("egid"), Sgid = E("sgid"), Fsgid = E("fsgid"), Ses = E("ses"), Tty = E("tty"), Comm = E("comm"),
            Exe = E("exe"), Subj = E("subj"), Key = E("key"), Keys = E("keys"), Res = E("res"), Cwd = E("cwd"),
            Proctitle = E("proctitle"), Argv = E("argv"), Paths = E("paths"), Item = E("item"), Name = E("name"),
            Nametype = E("nametype"), Inode = E("inode"), Mode = E("mode"), Dev = E("dev"), Ouid = E("ouid"),
            Ogid = E("ogid"), Records = E("records"), Incomplete = E("incomplete");

        private static JsonEncodedText E(string name) => JsonEncodedText.Encode(name);
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

    /// <summary>ISO 8601 UTC with milliseconds (2025-11-24T10:00:00.123Z), formatted by hand: it is on every event.</summary>
    private static void WriteTimestamp(Utf8JsonWriter w, long ms)
    {
        var dt = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
        Span<byte> b = stackalloc byte[24];
        Digits(b[..4], dt.Year); b[4] = (byte)'-';
        Digits(b.Slice(5, 2), dt.Month); b[7] = (byte)'-';
        Digits(b.Slice(8, 2), dt.Day); b[10] = (byte)'T';
        Digits(b.Slice(11, 2), dt.Hour); b[13] = (byte)':';
        Digits(b.Slice(14, 2), dt.Minute); b[16] = (byte)':';
        Digits(b.Slice(17, 2), dt.Second); b[19] = (byte)'.';
        Digits(b.Slice(20, 3), dt.Millisecond); b[23] = (byte)'Z';
        w.WriteString(N.Timestamp, b);
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>Octal with a leading 0, as the kernel prints modes (0100644).</summary>
    private static void WriteOctal(Utf8JsonWriter w, JsonEncodedText name, uint v)
    {
        Span<byte> buf = stackalloc byte[12];
        int i = buf.Length;
        do { buf[--i] = (byte)('0' + (v & 7)); v >>= 3; } while (v != 0);
        buf[--i] = (byte)'0';
        w.WriteString(name, buf[i..]);
    }

    private static void HexArg(Utf8JsonWriter w, ulong? v)
    {
        if (v is { } x)
        {
            // By hand: the "x" format string is parsed on every call.
            Span<byte> buf = stackalloc byte[16];
            int i = buf.Length;
            do { buf[--i] = "0123456789abcdef"u8[(int)(x & 0xF)]; x >>= 4; } while (x != 0);
            w.WriteStringValue(buf[i..]);
        }
        else w.WriteNullValue();
    }

    private static void Id(Utf8JsonWriter w, JsonEncodedText name, uint? v)
    {
        if (v is { } x) w.WriteNumber(name, x == AuditEvent.Unset ? -1L : x);
        else w.WriteNull(name);
    }

    private static void NullableLong(Utf8JsonWriter w, JsonEncodedText name, long? v)
    {
        if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
    }

    private static void NullableBool(Utf8JsonWriter w, JsonEncodedText name, bool? v)
    {
        if (v is { } x) w.WriteBoolean(name, x); else w.WriteNull(name);
    }
}
