using System.Globalization;
using System.Text;
using System.Text.Json;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Events;

/// <summary>
/// The JSON shape of an event, written by <see cref="JsonLineWriter"/>. <see cref="WriteProperties(JsonLineWriter, AuditEvent)"/>
/// writes only the properties so callers can add their own (<c>offset</c>, <c>classes</c>) inside the same object.
/// Ids print the kernel's unset value 4294967295 as -1; absent values are null; numbers the kernel prints in hex
/// stay hex strings.
/// </summary>
public static class EventJson
{
    /// <summary>
    /// The options of a Utf8JsonWriter that writes what <see cref="JsonLineWriter"/> writes: no HTML escaping of
    /// '/', '+', etc. (paths stay readable).
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JsonLineWriter.Encoder,
        SkipValidation = true,
    };

    [ThreadStatic] private static JsonLineWriter? _line;

    public static void WriteProperties(JsonLineWriter w, AuditEvent e)
    {
        w.Number(N.Serial, e.Serial);
        WriteTimestamp(w, e.TimestampMs);
        EncodedStrings.Write(w, N.Type, e.Type);
        if (e.Node != null) w.String(N.Node, e.Node);

        if (e.Syscall is { } nr)
        {
            if (e.SyscallName != null) EncodedStrings.Write(w, N.Syscall, e.SyscallName);
            else w.String(N.Syscall, nr.ToString(CultureInfo.InvariantCulture));
            w.Number(N.SyscallNr, nr);
        }
        else w.Null(N.Syscall);
        if (e.Arch is { } arch)
        {
            if (arch == X86_64Syscalls.AuditArch) w.PlainString(N.Arch, "x86_64"u8);
            else w.String(N.Arch, arch.ToString("x", CultureInfo.InvariantCulture));
        }
        NullableBool(w, N.Success, e.Success);
        NullableLong(w, N.Exit, e.Exit);
        if (e.Errno != null) EncodedStrings.Write(w, N.Errno, e.Errno);
        if (e.A0.HasValue)
        {
            w.StartArray(N.Args);
            HexArg(w, e.A0); HexArg(w, e.A1); HexArg(w, e.A2); HexArg(w, e.A3);
            w.EndArray();
        }
        if (e.Items is { } items) w.Number(N.Items, items);

        WriteIdentity(w, e);
        if (e.Result != null) EncodedStrings.Write(w, N.Res, e.Result);
        EncodedStrings.Write(w, N.Cwd, e.Cwd);
        EncodedStrings.Write(w, N.Proctitle, e.Proctitle);
        if (e.Argv is { } argv)
        {
            w.StartArray(N.Argv);
            for (int i = 0; i < argv.Count; i++) w.StringValue(argv[i]);
            w.EndArray();
        }

        w.StartArray(N.Paths);
        var paths = e.Paths;
        for (int i = 0; i < paths.Count; i++)
        {
            var p = paths[i];
            w.StartObject();
            w.Number(N.Item, p.Item);
            w.String(N.Name, p.Name); // resolved per event: not interned, so not cached
            EncodedStrings.Write(w, N.Nametype, p.NameType);
            if (p.Inode is { } ino) w.Number(N.Inode, ino); else w.Null(N.Inode);
            if (p.Mode is { } mode) WriteOctal(w, N.Mode, mode); else w.Null(N.Mode);
            if (p.Dev != null) EncodedStrings.Write(w, N.Dev, p.Dev);
            if (p.Ouid.HasValue) Id(w, N.Ouid, p.Ouid);
            if (p.Ogid.HasValue) Id(w, N.Ogid, p.Ogid);
            w.EndObject();
        }
        w.EndArray();

        w.Number(N.Records, e.Records.Count);
        w.Bool(N.Incomplete, e.Incomplete);
    }

    /// <summary>
    /// The same properties into a Utf8JsonWriter's current object, for callers that hold one (benchmarks, tests).
    /// With <see cref="JsonWriterOptions.SkipValidation"/> (as in <see cref="WriterOptions"/>) the bytes are copied in
    /// as they are; otherwise they are parsed and written again property by property (in that writer's escaping).
    /// </summary>
    public static void WriteProperties(Utf8JsonWriter w, AuditEvent e)
    {
        var line = Line();
        if (w.Options.SkipValidation)
        {
            WriteProperties(line, e);
            w.WriteRawValue(line.WrittenSpan, skipInputValidation: true);
            return;
        }
        line.StartObject();
        WriteProperties(line, e);
        line.EndObject();
        using var doc = JsonDocument.Parse(line.WrittenSpan.ToArray());
        foreach (var property in doc.RootElement.EnumerateObject()) property.WriteTo(w);
    }

    /// <summary>Property names, escaped and transcoded once.</summary>
    private static class N
    {
        public static readonly JsonName Serial = new("serial"), Timestamp = new("timestamp"), Type = new("type"), Node = new("node"),
            Syscall = new("syscall"), SyscallNr = new("syscall_nr"), Arch = new("arch"), Success = new("success"),
            Exit = new("exit"), Errno = new("errno"), Args = new("args"), Items = new("items"), Pid = new("pid"), Ppid = new("ppid"),
            Uid = new("uid"), Gid = new("gid"), Auid = new("auid"), Euid = new("euid"), Suid = new("suid"), Fsuid = new("fsuid"),
            Egid = new("egid"), Sgid = new("sgid"), Fsgid = new("fsgid"), Ses = new("ses"), Tty = new("tty"), Comm = new("comm"),
            Exe = new("exe"), Subj = new("subj"), Key = new("key"), Keys = new("keys"), Res = new("res"), Cwd = new("cwd"),
            Proctitle = new("proctitle"), Argv = new("argv"), Paths = new("paths"), Item = new("item"), Name = new("name"),
            Nametype = new("nametype"), Inode = new("inode"), Mode = new("mode"), Dev = new("dev"), Ouid = new("ouid"),
            Ogid = new("ogid"), Records = new("records"), Incomplete = new("incomplete");
    }

    /// <summary>Writes the event as one JSON line (object + '\n') to <paramref name="output"/>.</summary>
    public static void WriteLine(Stream output, AuditEvent e)
    {
        var line = Object(e);
        line.NewLine();
        output.Write(line.WrittenSpan);
    }

    /// <summary>The event as one compact JSON object (no trailing newline).</summary>
    public static string ToLine(AuditEvent e) => Encoding.UTF8.GetString(Object(e).WrittenSpan);

    /// <summary>The event's object in this thread's reusable writer (valid until its next use).</summary>
    private static JsonLineWriter Object(AuditEvent e)
    {
        var line = Line();
        line.StartObject();
        WriteProperties(line, e);
        line.EndObject();
        return line;
    }

    private static JsonLineWriter Line()
    {
        var line = _line ??= new JsonLineWriter(2048);
        line.Reset();
        return line;
    }

    /// <summary>ISO 8601 UTC with milliseconds (2025-11-24T10:00:00.123Z), formatted by hand: it is on every event.</summary>
    private static void WriteTimestamp(JsonLineWriter w, long ms)
    {
        var dt = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
        dt.Deconstruct(out int year, out int month, out int day); // the date computed once, not per part
        Span<byte> b = stackalloc byte[24];
        Digits(b[..4], year); b[4] = (byte)'-';
        Digits(b.Slice(5, 2), month); b[7] = (byte)'-';
        Digits(b.Slice(8, 2), day); b[10] = (byte)'T';
        Digits(b.Slice(11, 2), dt.Hour); b[13] = (byte)':';
        Digits(b.Slice(14, 2), dt.Minute); b[16] = (byte)':';
        Digits(b.Slice(17, 2), dt.Second); b[19] = (byte)'.';
        Digits(b.Slice(20, 3), dt.Millisecond); b[23] = (byte)'Z';
        w.PlainString(N.Timestamp, b);
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
    private static void WriteOctal(JsonLineWriter w, JsonName name, uint v)
    {
        Span<byte> buf = stackalloc byte[12];
        int i = buf.Length;
        do { buf[--i] = (byte)('0' + (v & 7)); v >>= 3; } while (v != 0);
        buf[--i] = (byte)'0';
        w.PlainString(name, buf[i..]);
    }

    private static void HexArg(JsonLineWriter w, ulong? v)
    {
        if (v is { } x)
        {
            // By hand: the "x" format string is parsed on every call.
            Span<byte> buf = stackalloc byte[16];
            int i = buf.Length;
            do { buf[--i] = "0123456789abcdef"u8[(int)(x & 0xF)]; x >>= 4; } while (x != 0);
            w.PlainStringValue(buf[i..]);
        }
        else w.NullValue();
    }

    // The process-identity members (pid .. keys) of the last few events, serialized: a process doing many syscalls
    // writes the same ~250 bytes for each, and comparing a dozen values costs less than formatting them again.
    [ThreadStatic] private static IdentityMembers[]? t_identities;
    [ThreadStatic] private static int t_nextIdentity;

    private static void WriteIdentity(JsonLineWriter w, AuditEvent e)
    {
        var cache = t_identities ??= [new(), new(), new(), new()];
        foreach (var c in cache)
        {
            if (c.Matches(e))
            {
                w.RawMembers(c.Members);
                return;
            }
        }
        int start = w.Length;
        WriteIdentityMembers(w, e);
        var written = w.WrittenSpan[start..];
        if (!written.IsEmpty && written[0] == (byte)',') written = written[1..];
        cache[t_nextIdentity++ & (cache.Length - 1)].Set(e, written);
    }

    private static void WriteIdentityMembers(JsonLineWriter w, AuditEvent e)
    {
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
        var keys = e.Keys;
        if (keys.Count > 1)
        {
            w.StartArray(N.Keys);
            for (int i = 0; i < keys.Count; i++) w.StringValue(keys[i]); // indexed: foreach would box an enumerator
            w.EndArray();
        }
    }

    /// <summary>One event's identity values and their serialized members.</summary>
    private sealed class IdentityMembers
    {
        private ProcessIdentity _identity;
        private bool _set;
        private byte[] _members = new byte[512];
        private int _length;

        public ReadOnlySpan<byte> Members => _members.AsSpan(0, _length);

        public bool Matches(AuditEvent e) => _set && _identity.SameAs(e);

        public void Set(AuditEvent e, ReadOnlySpan<byte> members)
        {
            _identity = ProcessIdentity.Of(e);
            _set = true;
            if (members.Length > _members.Length) _members = new byte[members.Length];
            members.CopyTo(_members);
            _length = members.Length;
        }
    }

    private static void Id(JsonLineWriter w, JsonName name, uint? v)
    {
        if (v is { } x) w.Number(name, x == AuditEvent.Unset ? -1L : x);
        else w.Null(name);
    }

    private static void NullableLong(JsonLineWriter w, JsonName name, long? v)
    {
        if (v is { } x) w.Number(name, x); else w.Null(name);
    }

    private static void NullableBool(JsonLineWriter w, JsonName name, bool? v)
    {
        if (v is { } x) w.Bool(name, x); else w.Null(name);
    }
}
