using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using FsAudit.Engine.Kernel;
using FsAudit.Engine.Records;

namespace FsAudit.Engine.Events;

/// <summary>
/// Interprets the records of one serial into an <see cref="AuditEvent"/>. Works on whatever arrived:
/// missing records leave fields null, garbage values are ignored, nothing throws on bad input.
/// </summary>
public static class EventBuilder
{
    private const ushort Syscall = 1300, Path = 1302, Cwd = 1307, Execve = 1309, Eoe = 1320, Proctitle = 1327;

    // argc is bounded by ARG_MAX; refuse absurd values from corrupted records.
    private const int MaxArgs = 1 << 17;

    // Scratch for PATH fields, reused so that only the event's own objects are allocated.
    [ThreadStatic] private static List<PathFields>? _pathScratch;

    public static AuditEvent Build(IReadOnlyList<AuditRecord> records, bool incomplete) => records switch
    {
        AuditRecord[] array => BuildFrom(array, incomplete),
        List<AuditRecord> list => BuildFrom(CollectionsMarshal.AsSpan(list), incomplete),
        _ => BuildFrom(records.ToArray(), incomplete),
    };

    /// <summary><see cref="Build"/> over a span (the correlator's records): no interface calls per record.</summary>
    public static AuditEvent BuildFrom(ReadOnlySpan<AuditRecord> records, bool incomplete)
    {
        var e = new AuditEvent { Incomplete = incomplete };
        int count = 0;
        foreach (var r in records)
            if (r.Type != Eoe) count++;
        AuditRecord[] kept;
        if (count == records.Length) kept = records.ToArray(); // the correlator never keeps EOE: one bulk copy
        else
        {
            kept = new AuditRecord[count];
            int k = 0;
            foreach (var r in records)
                if (r.Type != Eoe) kept[k++] = r;
        }
        e.Records = kept;
        if (count == 0)
        {
            if (records.Length > 0) Stamp(e, records[0]);
            e.Type = records.Length > 0 ? RecordTypeNames.Name(records[0].Type) : "";
            return e;
        }
        Stamp(e, kept[0]);

        bool haveSyscall = false;
        List<PathFields>? paths = null;
        ExecveArgs? execve = null;
        foreach (var r in kept)
        {
            switch (r.Type)
            {
                case Syscall when !haveSyscall:
                    haveSyscall = true;
                    ReadSyscall(e, r.Fields);
                    break;
                case Cwd when e.Cwd == null:
                    if (FieldReader.TryFind(r.Fields, "cwd"u8, out var cwd)) e.Cwd = FieldDecoder.DecodeString(cwd);
                    break;
                case Path:
                    if (paths == null)
                    {
                        paths = _pathScratch ?? new List<PathFields>(8);
                        _pathScratch = null; // a nested Build on this thread gets its own
                        paths.Clear();
                    }
                    paths.Add(ReadPath(r.Fields));
                    break;
                case Proctitle when e.Proctitle == null:
                    e.Proctitle = ReadProctitle(r.Fields);
                    break;
                case Execve:
                    (execve ??= new ExecveArgs()).Add(r.Fields);
                    break;
            }
        }

        if (haveSyscall)
        {
            e.Type = "SYSCALL";
            if (e.Syscall is { } nr && (e.Arch is null || e.Arch == X86_64Syscalls.AuditArch))
                e.SyscallName = X86_64Syscalls.Name(nr);
            if (e.Exit is < 0 && e.Success != true) e.Errno = Errno.Name(e.Exit.Value);
        }
        else
        {
            e.Type = RecordTypeNames.Name(kept[0].Type);
            ReadCommon(e, kept[0].Fields, depth: 0);
        }

        if (paths != null)
        {
            e.Paths = ResolvePaths(paths, e.Cwd);
            paths.Clear();
            _pathScratch = paths;
        }
        if (execve != null) e.Argv = execve.ToArgv();
        return e;
    }

    /// <summary>The command line of a PROCTITLE record; the same text as one of the last few is not decoded again.</summary>
    private static string? ReadProctitle(ReadOnlySpan<byte> fields)
    {
        if (RecentTexts<string?>.TryGet(fields, out var known)) return known;
        string? title = FieldReader.TryFind(fields, "proctitle"u8, out var pt) ? FieldDecoder.DecodeProctitle(pt) : null;
        RecentTexts<string?>.Remember(fields, title);
        return title;
    }

    private static void Stamp(AuditEvent e, AuditRecord first)
    {
        e.Serial = first.Serial;
        e.TimestampMs = first.TimestampMs;
        e.Node = first.Node;
    }

    private static void ReadSyscall(AuditEvent e, ReadOnlySpan<byte> fields)
    {
        var f = new FieldReader(fields);
        int tail = -1; // where the process identity (ppid= .. key=) starts, once found
        bool tailOnlyIdentity = true;
        while (f.MoveNext())
        {
            // Keys dispatch on their bytes (FieldKey codes), not on strings: no widening per field.
            ulong key = f.KeyCode;
            var v = f.Value;
            switch (key)
            {
                case FieldKey.Arch: if (FieldDecoder.TryParseHexUInt64(v, out var arch) && arch <= uint.MaxValue) e.Arch = (uint)arch; break;
                case FieldKey.Syscall: if (FieldDecoder.TryParseInt64(v, out var nr) && nr is >= 0 and <= int.MaxValue) e.Syscall = (int)nr; break;
                case FieldKey.Success: e.Success = v.SequenceEqual("yes"u8) ? true : v.SequenceEqual("no"u8) ? false : null; break;
                case FieldKey.Exit: if (FieldDecoder.TryParseInt64(v, out var exit)) e.Exit = exit; break;
                case FieldKey.A0: e.A0 = Hex(v); break;
                case FieldKey.A1: e.A1 = Hex(v); break;
                case FieldKey.A2: e.A2 = Hex(v); break;
                case FieldKey.A3: e.A3 = Hex(v); break;
                case FieldKey.Items: if (FieldDecoder.TryParseUInt32(v, out var items) && items <= int.MaxValue) e.Items = (int)items; break;
                default:
                    if (key == FieldKey.Ppid && tail < 0 && ProcessIdentity.NothingSet(e))
                    {
                        tail = f.KeyOffset;
                        if (RecentTexts<ProcessIdentity>.TryGet(fields[tail..], out var known))
                        {
                            known.CopyTo(e);
                            return;
                        }
                    }
                    ReadIdentity(e, ref f, key);
                    continue;
            }
            if (tail >= 0) tailOnlyIdentity = false;
        }
        if (tail >= 0 && tailOnlyIdentity) RecentTexts<ProcessIdentity>.Remember(fields[tail..], ProcessIdentity.Of(e));
    }

    /// <summary>Process identity fields shared by SYSCALL and most stand-alone records; <paramref name="key"/> is the current key's code.</summary>
    private static void ReadIdentity(AuditEvent e, ref FieldReader f, ulong key)
    {
        var v = f.Value;
        switch (key)
        {
            case FieldKey.Pid: e.Pid ??= Int(v); break;
            case FieldKey.Ppid: e.Ppid ??= Int(v); break;
            case FieldKey.Uid: e.Uid ??= UInt(v); break;
            case FieldKey.Gid: e.Gid ??= UInt(v); break;
            case FieldKey.Auid: e.Auid ??= UInt(v); break;
            case FieldKey.Euid: e.Euid ??= UInt(v); break;
            case FieldKey.Suid: e.Suid ??= UInt(v); break;
            case FieldKey.Fsuid: e.Fsuid ??= UInt(v); break;
            case FieldKey.Egid: e.Egid ??= UInt(v); break;
            case FieldKey.Sgid: e.Sgid ??= UInt(v); break;
            case FieldKey.Fsgid: e.Fsgid ??= UInt(v); break;
            case FieldKey.Ses: e.Ses ??= UInt(v); break;
            case FieldKey.Tty: case FieldKey.Terminal: if (e.Tty == null && !f.IsUnknown) e.Tty = FieldDecoder.DecodeString(f.RawValue); break;
            case FieldKey.Comm: e.Comm ??= FieldDecoder.DecodeString(f.RawValue); break;
            case FieldKey.Exe: if (e.Exe == null && !f.IsUnknown) e.Exe = FieldDecoder.DecodeString(f.RawValue); break;
            case FieldKey.Subj: e.Subj ??= StringCache.Get(v); break;
            case FieldKey.Key: if (e.Keys.Count == 0) e.Keys = FieldDecoder.SplitKeys(FieldDecoder.DecodeString(f.RawValue)); break;
        }
    }

    /// <summary>Stand-alone records (USER_*, LOGIN, CONFIG_CHANGE, ...), including a nested <c>msg='...'</c>.</summary>
    private static void ReadCommon(AuditEvent e, ReadOnlySpan<byte> fields, int depth)
    {
        var f = new FieldReader(fields);
        while (f.MoveNext())
        {
            ulong key = f.KeyCode;
            if (key == FieldKey.Msg && f.Quoting == FieldQuoting.Single && depth == 0)
            {
                ReadCommon(e, f.Value, depth + 1);
                continue;
            }
            if (key is FieldKey.Res or FieldKey.Result)
            {
                if (e.Result != null) continue;
                var v = f.Value;
                e.Result = StringCache.Get(v);
                e.Success = v.SequenceEqual("success"u8) || v.SequenceEqual("yes"u8) || v.SequenceEqual("1"u8) ? true
                    : v.SequenceEqual("failed"u8) || v.SequenceEqual("no"u8) || v.SequenceEqual("0"u8) ? false : e.Success;
                continue;
            }
            ReadIdentity(e, ref f, key);
        }
    }

    private struct PathFields
    {
        public int Item;
        public string? Name, Dev, NameType;
        public ulong? Inode;
        public uint? Mode, Ouid, Ogid;
    }

    private static PathFields ReadPath(ReadOnlySpan<byte> fields)
    {
        var p = new PathFields { Item = -1 };
        var f = new FieldReader(fields);
        while (f.MoveNext())
        {
            var v = f.Value;
            switch (f.KeyCode)
            {
                case FieldKey.Item: if (FieldDecoder.TryParseUInt32(v, out var it) && it <= int.MaxValue) p.Item = (int)it; break;
                case FieldKey.Name: p.Name = FieldDecoder.DecodeString(f.RawValue); break;
                case FieldKey.Inode: if (FieldDecoder.TryParseUInt64(v, out var ino)) p.Inode = ino; break;
                case FieldKey.Dev: p.Dev = StringCache.Get(v); break;
                case FieldKey.Mode: if (FieldDecoder.TryParseOctalUInt32(v, out var m)) p.Mode = m; break;
                case FieldKey.Ouid: p.Ouid = UInt(v); break;
                case FieldKey.Ogid: p.Ogid = UInt(v); break;
                case FieldKey.Nametype:
                    p.NameType = StringCache.Get(v);
                    // The kernel prints nametype after everything read here (only cap_* follow): stop scanning
                    // unless the record came in another order.
                    if (p.Item >= 0 && p.Inode.HasValue) return p;
                    break;
            }
        }
        return p;
    }

    private static AuditPath[] ResolvePaths(List<PathFields> raw, string? cwd)
    {
        // The kernel emits items in order; should a log not, item numbers decide.
        for (int i = 1; i < raw.Count; i++)
        {
            if (raw[i].Item < raw[i - 1].Item)
            {
                raw.Sort(static (a, b) => a.Item.CompareTo(b.Item));
                break;
            }
        }
        string? parentDir = null;
        foreach (var p in raw)
            if (p.NameType == "PARENT" && p.Name is { Length: > 0 } pn && pn[0] == '/') { parentDir = pn; break; }

        var result = new AuditPath[raw.Count];
        for (int i = 0; i < raw.Count; i++)
        {
            var p = raw[i];
            string? name = p.Name;
            if (name != null)
            {
                // No CWD record: for a bare name the kernel logged the CWD as the PARENT item's name.
                string? dir = cwd ?? (name.Contains('/') ? null : parentDir);
                name = PathResolver.Resolve(name, dir);
            }
            result[i] = new AuditPath
            {
                Item = p.Item, Name = name, RawName = p.Name, Inode = p.Inode, Dev = p.Dev,
                Mode = p.Mode, Ouid = p.Ouid, Ogid = p.Ogid, NameType = p.NameType,
            };
        }
        return result;
    }

    private static ulong? Hex(ReadOnlySpan<byte> v) => FieldDecoder.TryParseHexUInt64(v, out var x) ? x : null;

    private static uint? UInt(ReadOnlySpan<byte> v)
    {
        if (FieldDecoder.TryParseUInt32(v, out var x)) return x;
        // Some records print unset ids as -1.
        return v.SequenceEqual("-1"u8) ? AuditEvent.Unset : null;
    }

    private static int? Int(ReadOnlySpan<byte> v) =>
        FieldDecoder.TryParseInt64(v, out var x) && x is >= int.MinValue and <= int.MaxValue ? (int)x : null;

    /// <summary>Collects EXECVE arguments, reassembling <c>aN[k]</c> chunks of long arguments across records.</summary>
    private sealed class ExecveArgs
    {
        private int _argc = -1;
        private string?[] _args = [];
        private Dictionary<int, ArrayBufferWriter<byte>>? _chunks;
        private int _max = -1;

        public void Add(ReadOnlySpan<byte> fields)
        {
            var f = new FieldReader(fields);
            while (f.MoveNext())
            {
                var key = f.Key;
                if (FieldKey.Of(key) == FieldKey.Argc)
                {
                    if (_argc < 0 && FieldDecoder.TryParseUInt32(f.Value, out var argc) && argc <= MaxArgs)
                    {
                        _argc = (int)argc;
                        if (_args.Length < _argc) Array.Resize(ref _args, _argc);
                    }
                    continue;
                }
                if (key.Length < 2 || key[0] != (byte)'a') continue;
                var rest = key[1..];
                int bracket = rest.IndexOf((byte)'[');
                bool isLen = rest.EndsWith("_len"u8);
                var digits = bracket >= 0 ? rest[..bracket] : isLen ? rest[..^4] : rest;
                if (!FieldDecoder.TryParseUInt32(digits, out var idx) || idx >= MaxArgs) continue;
                int n = (int)idx;
                if (isLen) continue;
                if (n > _max) _max = n;
                if (bracket >= 0)
                {
                    _chunks ??= new Dictionary<int, ArrayBufferWriter<byte>>();
                    if (!_chunks.TryGetValue(n, out var buf)) _chunks[n] = buf = new ArrayBufferWriter<byte>();
                    FieldDecoder.AppendBytes(f.RawValue, buf);
                }
                else
                {
                    if (_args.Length <= n) Array.Resize(ref _args, Math.Max(n + 1, _args.Length * 2));
                    _args[n] = f.RawValue.IsEmpty ? string.Empty : FieldDecoder.DecodeString(f.RawValue) ?? string.Empty;
                }
            }
        }

        public string[] ToArgv()
        {
            int len = _argc >= 0 ? _argc : _max + 1;
            var argv = new string[len];
            for (int i = 0; i < len; i++)
            {
                if (_chunks != null && _chunks.TryGetValue(i, out var buf)) argv[i] = Encoding.UTF8.GetString(buf.WrittenSpan);
                else argv[i] = i < _args.Length ? _args[i] ?? string.Empty : string.Empty;
            }
            return argv;
        }
    }
}
