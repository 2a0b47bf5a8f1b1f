using System.Globalization;
using System.Text;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Netlink;

/// <summary>auditctl syntax for <see cref="AuditRule"/>: Parse and ToString.</summary>
public sealed partial class AuditRule
{
    private const uint ArchB64 = X86_64Syscalls.AuditArch;
    private const uint ArchB32 = 0x40000003; // AUDIT_ARCH_I386
    private const uint Unset = uint.MaxValue;

    private static readonly (string Name, AuditField Field)[] FieldNames =
    [
        ("pid", AuditField.Pid), ("uid", AuditField.Uid), ("euid", AuditField.Euid), ("suid", AuditField.Suid),
        ("fsuid", AuditField.Fsuid), ("gid", AuditField.Gid), ("egid", AuditField.Egid), ("sgid", AuditField.Sgid),
        ("fsgid", AuditField.Fsgid), ("auid", AuditField.LoginUid), ("loginuid", AuditField.LoginUid),
        ("pers", AuditField.Personality), ("arch", AuditField.Arch), ("msgtype", AuditField.MsgType),
        ("subj_user", AuditField.SubjUser), ("subj_role", AuditField.SubjRole), ("subj_type", AuditField.SubjType),
        ("subj_sen", AuditField.SubjSen), ("subj_clr", AuditField.SubjClr), ("ppid", AuditField.Ppid),
        ("obj_user", AuditField.ObjUser), ("obj_role", AuditField.ObjRole), ("obj_type", AuditField.ObjType),
        ("obj_lev_low", AuditField.ObjLevLow), ("obj_lev_high", AuditField.ObjLevHigh),
        ("loginuid_set", AuditField.LoginUidSet), ("sessionid", AuditField.SessionId), ("fstype", AuditField.FsType),
        ("devmajor", AuditField.DevMajor), ("devminor", AuditField.DevMinor), ("inode", AuditField.Inode),
        ("exit", AuditField.Exit), ("success", AuditField.Success), ("path", AuditField.Watch), ("perm", AuditField.Perm),
        ("dir", AuditField.Dir), ("filetype", AuditField.FileType), ("obj_uid", AuditField.ObjUid),
        ("obj_gid", AuditField.ObjGid), ("field_compare", AuditField.FieldCompare), ("exe", AuditField.Exe),
        ("saddr_fam", AuditField.SaddrFam), ("a0", AuditField.Arg0), ("a1", AuditField.Arg1), ("a2", AuditField.Arg2),
        ("a3", AuditField.Arg3), ("key", AuditField.FilterKey),
    ];

    private static readonly (string Name, uint Mode)[] FileTypes =
    [
        ("file", 0x8000), ("dir", 0x4000), ("socket", 0xC000), ("link", 0xA000),
        ("character", 0x2000), ("block", 0x6000), ("fifo", 0x1000),
    ];

    private static readonly (string Text, AuditOperator Op)[] Operators =
    [
        ("!=", AuditOperator.NotEqual), ("<=", AuditOperator.LessThanOrEqual), (">=", AuditOperator.GreaterThanOrEqual),
        ("&=", AuditOperator.BitTest), ("=", AuditOperator.Equal), ("<", AuditOperator.LessThan),
        (">", AuditOperator.GreaterThan), ("&", AuditOperator.BitMask),
    ];

    /// <summary>
    /// Parses auditctl rule syntax: <c>-a LIST,ACTION</c> (or <c>-d</c>), <c>-F field[op]value</c>, <c>-S name[,name]|all</c>,
    /// <c>-k key</c>, and the watch shorthand <c>-w PATH [-p rwxa]</c> (a directory when PATH is one, as auditctl decides).
    /// Rules without -S cover all syscalls, as auditctl makes them. Tokens may be double-quoted.
    /// </summary>
    public static AuditRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(Tokenize(text));
    }

    public static bool TryParse(string text, out AuditRule? rule, out string? error)
    {
        try
        {
            rule = Parse(text);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            rule = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Parses rule arguments already split as a shell would (argv of auditctl).</summary>
    public static AuditRule Parse(IReadOnlyList<string> args)
    {
        AuditFilterList? list = null;
        var action = AuditRuleAction.Always;
        var fields = new List<AuditRuleField>();
        var keys = new List<string>();
        var syscalls = new List<int>();
        bool all = false, anySyscall = false;
        string? watchPath = null, watchPerm = null;

        for (int i = 0; i < args.Count; i++)
        {
            string opt = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"Option {opt} needs a value.");
            switch (opt)
            {
                case "-a" or "-d":
                    if (list is not null) throw new FormatException("Only one -a LIST,ACTION is allowed.");
                    (list, action) = ParseListAction(Next());
                    break;
                case "-F":
                    fields.Add(ParseField(Next(), fields));
                    break;
                case "-S":
                    anySyscall = true;
                    foreach (var name in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (name == "all") all = true;
                        else syscalls.Add(ParseSyscall(name, fields));
                    }
                    break;
                case "-k":
                    keys.Add(Next());
                    break;
                case "-w":
                    watchPath = Next();
                    break;
                case "-p":
                    watchPerm = Next();
                    break;
                default:
                    throw new FormatException($"Unsupported or misplaced rule option '{opt}' (expected -a, -d, -F, -S, -k, -w, -p).");
            }
        }

        if (watchPath is not null)
        {
            if (list is not null || anySyscall) throw new FormatException("-w cannot be combined with -a or -S.");
            var kind = Directory.Exists(watchPath) ? AuditField.Dir : AuditField.Watch;
            fields.Insert(0, AuditRuleField.OfText(kind, AuditOperator.Equal, ValidatePath(watchPath)));
            fields.Insert(1, AuditRuleField.Of(AuditField.Perm, AuditOperator.Equal, ParsePerm(watchPerm ?? "rwxa")));
            list = AuditFilterList.Exit;
            action = AuditRuleAction.Always;
        }
        else if (watchPerm is not null) throw new FormatException("-p is only valid with -w.");

        if (list is null) throw new FormatException("A rule needs -a LIST,ACTION (or -w PATH).");
        if (anySyscall && list != AuditFilterList.Exit && list != AuditFilterList.UringExit && list != AuditFilterList.Entry)
            throw new FormatException($"-S is only valid on the exit list, not '{ListName(list.Value)}'.");
        if (keys.Count > 0)
        {
            if (fields.Any(f => f.Field == AuditField.FilterKey)) throw new FormatException("Give keys either with -k or with -F key=, not both.");
            fields.Add(AuditRuleField.OfText(AuditField.FilterKey, AuditOperator.Equal, JoinKeys(keys)));
        }
        if (fields.Count > MaxFields) throw new FormatException($"A rule holds at most {MaxFields} fields, got {fields.Count}.");

        if (!anySyscall) all = true; // auditctl sets every syscall bit when no -S is given, on every list
        return new AuditRule(list.Value, action, fields, syscalls, all);
    }

    private static string JoinKeys(List<string> keys)
    {
        string joined = string.Join(KeySeparator, keys);
        if (Encoding.UTF8.GetByteCount(joined) > MaxKeyLength)
            throw new FormatException($"Keys are limited to {MaxKeyLength} bytes in total.");
        return joined;
    }

    private static (AuditFilterList, AuditRuleAction) ParseListAction(string value)
    {
        var parts = value.Split(',');
        if (parts.Length != 2) throw new FormatException($"Expected LIST,ACTION (e.g. always,exit), got '{value}'.");
        // auditctl accepts both orders.
        if (TryParseList(parts[0], out var list) && TryParseAction(parts[1], out var action)) return (list, action);
        if (TryParseList(parts[1], out list) && TryParseAction(parts[0], out action)) return (list, action);
        throw new FormatException($"Unknown list or action in '{value}' (lists: exit, task, user, exclude, filesystem, io_uring; actions: always, never).");
    }

    private static bool TryParseList(string s, out AuditFilterList list)
    {
        switch (s)
        {
            case "exit": list = AuditFilterList.Exit; return true;
            case "task": list = AuditFilterList.Task; return true;
            case "user": list = AuditFilterList.User; return true;
            case "exclude": list = AuditFilterList.Exclude; return true;
            case "filesystem": list = AuditFilterList.Filesystem; return true;
            case "io_uring": list = AuditFilterList.UringExit; return true;
            default: list = default; return false;
        }
    }

    private static bool TryParseAction(string s, out AuditRuleAction action)
    {
        switch (s)
        {
            case "always": action = AuditRuleAction.Always; return true;
            case "never": action = AuditRuleAction.Never; return true;
            default: action = default; return false;
        }
    }

    private static string ListName(AuditFilterList list) => list switch
    {
        AuditFilterList.Exit => "exit",
        AuditFilterList.Task => "task",
        AuditFilterList.User => "user",
        AuditFilterList.Exclude => "exclude",
        AuditFilterList.Filesystem => "filesystem",
        AuditFilterList.UringExit => "io_uring",
        AuditFilterList.Entry => "entry",
        _ => ((uint)list).ToString(CultureInfo.InvariantCulture),
    };

    private static int ParseSyscall(string name, List<AuditRuleField> fieldsSoFar)
    {
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            if (number >= SyscallBits) throw new FormatException($"Syscall number {number} is out of range.");
            return number;
        }
        var arch = fieldsSoFar.FirstOrDefault(f => f.Field == AuditField.Arch);
        if (arch.Field == AuditField.Arch && arch.Value != ArchB64)
            throw new FormatException($"Syscall names are only known for b64 (x86_64); give '{name}' by number.");
        if (X86_64Syscalls.TryGetNumber(name, out number)) return number;
        throw new FormatException($"Unknown x86_64 syscall '{name}'.");
    }

    private static AuditRuleField ParseField(string token, List<AuditRuleField> fieldsSoFar)
    {
        int nameEnd = 0;
        while (nameEnd < token.Length && (char.IsAsciiLetterOrDigit(token[nameEnd]) || token[nameEnd] == '_')) nameEnd++;
        string name = token[..nameEnd];
        string rest = token[nameEnd..];
        var (opText, op) = Operators.FirstOrDefault(o => rest.StartsWith(o.Text, StringComparison.Ordinal));
        if (name.Length == 0 || opText is null)
            throw new FormatException($"Expected -F field=value (operators = != < > <= >= & &=), got '{token}'.");
        string value = rest[opText.Length..];
        var (_, field) = FieldNames.FirstOrDefault(f => f.Name == name);
        if (FieldNames.All(f => f.Name != name)) throw new FormatException($"Unknown rule field '{name}'.");
        if (value.Length == 0) throw new FormatException($"Field '{name}' has no value.");

        if (AuditRuleField.IsStringField(field))
        {
            if (op is not (AuditOperator.Equal or AuditOperator.NotEqual))
                throw new FormatException($"Field '{name}' only supports = and !=.");
            if (field is AuditField.Dir or AuditField.Watch or AuditField.Exe) ValidatePath(value);
            if (field == AuditField.FilterKey && Encoding.UTF8.GetByteCount(value) > MaxKeyLength)
                throw new FormatException($"Keys are limited to {MaxKeyLength} bytes.");
            return AuditRuleField.OfText(field, op, value);
        }

        uint number = field switch
        {
            AuditField.Perm when op == AuditOperator.Equal => ParsePerm(value),
            AuditField.Perm => throw new FormatException("Field 'perm' only supports =."),
            AuditField.Arch => ParseArch(value),
            AuditField.Exit => ParseExit(value),
            AuditField.FileType => ParseFileType(value),
            AuditField.MsgType => RecordTypeNames.TryParse(value, out int type) ? (uint)type : ParseNumber(name, value),
            _ when IsIdField(field) && value == "unset" => Unset,
            _ => ParseNumber(name, value),
        };
        if (field == AuditField.Arch && fieldsSoFar.Any(f => f.Field == AuditField.Arch))
            throw new FormatException("Only one arch field is allowed.");
        return AuditRuleField.Of(field, op, number);
    }

    private static string ValidatePath(string path)
    {
        if (!path.StartsWith('/')) throw new FormatException($"Watch paths must be absolute, got '{path}'.");
        if (Encoding.UTF8.GetByteCount(path) >= 4096) throw new FormatException("Watch path exceeds PATH_MAX.");
        return path;
    }

    private static bool IsIdField(AuditField field) => field is AuditField.Uid or AuditField.Euid or AuditField.Suid
        or AuditField.Fsuid or AuditField.Gid or AuditField.Egid or AuditField.Sgid or AuditField.Fsgid
        or AuditField.LoginUid or AuditField.ObjUid or AuditField.ObjGid;

    private static uint ParseNumber(string name, string value)
    {
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
            uint.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex))
            return hex;
        if (uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint u)) return u;
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int signed)) return unchecked((uint)signed);
        throw new FormatException($"Field '{name}' needs a number, got '{value}'.");
    }

    private static uint ParsePerm(string value)
    {
        uint perm = 0;
        foreach (char c in value)
        {
            uint bit = c switch
            {
                'r' => (uint)AuditPerm.Read,
                'w' => (uint)AuditPerm.Write,
                'x' => (uint)AuditPerm.Exec,
                'a' => (uint)AuditPerm.Attr,
                _ => throw new FormatException($"Permission '{c}' is not one of r, w, x, a (in '{value}')."),
            };
            if ((perm & bit) != 0) throw new FormatException($"Permission '{c}' repeated in '{value}'.");
            perm |= bit;
        }
        if (perm == 0) throw new FormatException("Empty permission set.");
        return perm;
    }

    private static uint ParseArch(string value) => value switch
    {
        "b64" or "x86_64" => ArchB64,
        "b32" or "i386" or "i686" => ArchB32,
        _ => ParseNumber("arch", value),
    };

    private static uint ParseExit(string value)
    {
        if (value.StartsWith("-E", StringComparison.Ordinal))
        {
            for (int n = 1; n < 4096; n++)
                if (Errno.Name(n) is { } name && value.AsSpan(1).SequenceEqual(name)) return unchecked((uint)-n);
            throw new FormatException($"Unknown errno name in exit={value}.");
        }
        return ParseNumber("exit", value);
    }

    private static uint ParseFileType(string value)
    {
        foreach (var (name, mode) in FileTypes)
            if (name == value) return mode;
        throw new FormatException($"Unknown filetype '{value}' (file, dir, socket, link, character, block, fifo).");
    }

    /// <summary>The rule in auditctl syntax; <see cref="Parse(string)"/> reads it back to an equal rule.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("-a ").Append(Action switch
        {
            AuditRuleAction.Always => "always",
            AuditRuleAction.Never => "never",
            _ => ((uint)Action).ToString(CultureInfo.InvariantCulture),
        }).Append(',').Append(ListName(List));

        int archIndex = Array.FindIndex(_fields, f => f.Field == AuditField.Arch);
        if (archIndex < 0) AppendSyscalls(sb);
        for (int i = 0; i < _fields.Length; i++)
        {
            var f = _fields[i];
            if (f.Field == AuditField.FilterKey && i == _fields.Length - 1 && f.Operator == AuditOperator.Equal)
            {
                foreach (var key in f.Text!.Split(KeySeparator)) sb.Append(" -k ").Append(Quote(key));
            }
            else
            {
                sb.Append(" -F ").Append(FieldName(f.Field)).Append(Operators.First(o => o.Op == f.Operator).Text)
                    .Append(f.IsString ? Quote(f.Text!) : FormatValue(f));
            }
            if (i == archIndex) AppendSyscalls(sb);
        }
        return sb.ToString();
    }

    private void AppendSyscalls(StringBuilder sb)
    {
        if (AllSyscalls) return; // the default without -S
        if (_syscalls.Length == 0) return;
        var arch = _fields.FirstOrDefault(f => f.Field == AuditField.Arch);
        bool names = arch.Field != AuditField.Arch || arch.Value == ArchB64;
        sb.Append(" -S ").AppendJoin(',', _syscalls.Select(s =>
            (names ? X86_64Syscalls.Name(s) : null) ?? s.ToString(CultureInfo.InvariantCulture)));
    }

    private static string FieldName(AuditField field) =>
        FieldNames.FirstOrDefault(f => f.Field == field).Name ?? throw new FormatException($"Rule field {(uint)field} has no auditctl name.");

    private static string FormatValue(AuditRuleField f)
    {
        switch (f.Field)
        {
            case AuditField.Perm:
                var sb = new StringBuilder();
                if ((f.Value & (uint)AuditPerm.Read) != 0) sb.Append('r');
                if ((f.Value & (uint)AuditPerm.Write) != 0) sb.Append('w');
                if ((f.Value & (uint)AuditPerm.Exec) != 0) sb.Append('x');
                if ((f.Value & (uint)AuditPerm.Attr) != 0) sb.Append('a');
                if (f.Value is 0 or > 0xF) return f.Value.ToString(CultureInfo.InvariantCulture);
                return sb.ToString();
            case AuditField.Arch:
                return f.Value switch { ArchB64 => "b64", ArchB32 => "b32", _ => "0x" + f.Value.ToString("x", CultureInfo.InvariantCulture) };
            case AuditField.Exit:
                int exit = unchecked((int)f.Value);
                return exit < 0 && Errno.Name(-exit) is { } name ? "-" + name : exit.ToString(CultureInfo.InvariantCulture);
            case AuditField.FileType:
                foreach (var (n, mode) in FileTypes)
                    if (mode == f.Value) return n;
                break;
            case AuditField.MsgType:
                string typeName = RecordTypeNames.Name((int)Math.Min(f.Value, int.MaxValue));
                if (!typeName.StartsWith("UNKNOWN[", StringComparison.Ordinal)) return typeName;
                break;
            case var id when IsIdField(id) && f.Value == Unset:
                return "unset";
        }
        return f.Value.ToString(CultureInfo.InvariantCulture);
    }

    private static string Quote(string value)
    {
        bool plain = value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\\');
        if (plain) return value;
        return "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    /// <summary>Shell-like split: whitespace separates, double quotes group (with \" and \\ escapes inside).</summary>
    internal static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        bool inToken = false, quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\') current.Append(text[++i]);
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') { quoted = true; inToken = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken) tokens.Add(current.ToString());
                current.Clear();
                inToken = false;
            }
            else { current.Append(c); inToken = true; }
        }
        if (quoted) throw new FormatException("Unterminated double quote in rule.");
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }
}
