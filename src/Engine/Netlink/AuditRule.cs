using System.Buffers.Binary;
using System.Text;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Netlink;

/// <summary>
/// An audit rule as auditctl writes it (<c>-a always,exit -F dir=/x -F perm=wa -k key</c>) and as the kernel
/// stores it (struct audit_rule_data). Field order is kept because the kernel compares rules field by field.
/// </summary>
public sealed partial class AuditRule : IEquatable<AuditRule>
{
    public const int MaxFields = 64;
    public const int BitmaskWords = 64;
    public const int MaxKeyLength = 256;

    /// <summary>AUDIT_KEY_SEPARATOR: several -k keys travel as one filterkey joined by 0x01.</summary>
    public const char KeySeparator = '\x01';

    /// <summary>The kernel reuses the top 16 bits of the mask as syscall-class selectors and clears them when storing.</summary>
    private const int SyscallClassBits = 16;
    private const int SyscallBits = BitmaskWords * 32;

    private const int HeaderSize = 12 + BitmaskWords * 4 + MaxFields * 4 * 3 + 4; // 1040
    private const uint FilterListMask = 0x07;
    private const uint OperatorMask = 0x78000000; // AUDIT_OPERATORS

    private readonly AuditRuleField[] _fields;
    private readonly int[] _syscalls;

    public AuditRule(AuditFilterList list, AuditRuleAction action, IEnumerable<AuditRuleField> fields,
        IEnumerable<int>? syscalls = null, bool allSyscalls = false)
    {
        List = list;
        Action = action;
        _fields = fields.ToArray();
        if (_fields.Length > MaxFields) throw new ArgumentException($"A rule holds at most {MaxFields} fields.", nameof(fields));
        foreach (var f in _fields)
            if (f.IsString && f.Text is null) throw new ArgumentException($"Field {f.Field} needs a text value.", nameof(fields));
        AllSyscalls = allSyscalls;
        _syscalls = allSyscalls ? [] : (syscalls ?? []).Distinct().Order().ToArray();
        foreach (int s in _syscalls)
            if ((uint)s >= SyscallBits) throw new ArgumentOutOfRangeException(nameof(syscalls), s, "Syscall number out of the rule mask.");
    }

    public AuditFilterList List { get; }
    public AuditRuleAction Action { get; }

    /// <summary>All fields in kernel order, the filterkey included.</summary>
    public IReadOnlyList<AuditRuleField> Fields => _fields;

    /// <summary>True when the rule matches every syscall (auditctl's <c>-S all</c>, implied for exit rules without -S).</summary>
    public bool AllSyscalls { get; }

    /// <summary>Syscall numbers of the mask, ascending; empty when <see cref="AllSyscalls"/>.</summary>
    public IReadOnlyList<int> Syscalls => _syscalls;

    /// <summary>The rule's keys (the filterkey split on 0x01).</summary>
    public IReadOnlyList<string> Keys =>
        _fields.FirstOrDefault(f => f.Field == AuditField.FilterKey).Text?.Split(KeySeparator) ?? [];

    /// <summary>A directory watch: <c>-a always,exit -F dir=PATH -F perm=PERMS [-k KEY...]</c>, as auditctl builds it.</summary>
    public static AuditRule DirectoryWatch(string path, AuditPerm perm, params string[] keys) =>
        Watch(AuditField.Dir, path, perm, keys);

    /// <summary>A file watch: <c>-a always,exit -F path=PATH -F perm=PERMS [-k KEY...]</c>.</summary>
    public static AuditRule FileWatch(string path, AuditPerm perm, params string[] keys) =>
        Watch(AuditField.Watch, path, perm, keys);

    private static AuditRule Watch(AuditField kind, string path, AuditPerm perm, string[] keys)
    {
        var fields = new List<AuditRuleField> { AuditRuleField.OfText(kind, AuditOperator.Equal, path) };
        if (perm != AuditPerm.None) fields.Add(AuditRuleField.Of(AuditField.Perm, AuditOperator.Equal, (uint)perm));
        if (keys.Length > 0) fields.Add(AuditRuleField.OfText(AuditField.FilterKey, AuditOperator.Equal, string.Join(KeySeparator, keys)));
        return new AuditRule(AuditFilterList.Exit, AuditRuleAction.Always, fields, allSyscalls: true);
    }

    /// <summary>Encodes the rule as struct audit_rule_data (the AUDIT_ADD_RULE / AUDIT_DEL_RULE payload).</summary>
    public byte[] ToRuleData()
    {
        var strings = new List<byte[]>();
        foreach (var f in _fields)
            if (f.IsString) strings.Add(Encoding.UTF8.GetBytes(f.Text!));
        int bufLength = strings.Sum(s => s.Length);
        var data = new byte[HeaderSize + bufLength];
        var span = data.AsSpan();

        W(span, 0, (uint)List);
        W(span, 4, (uint)Action);
        W(span, 8, (uint)_fields.Length);
        if (AllSyscalls)
            span.Slice(12, BitmaskWords * 4).Fill(0xFF);
        else
            foreach (int s in _syscalls)
                W(span, 12 + s / 32 * 4, R(span, 12 + s / 32 * 4) | (1u << (s % 32)));

        int bufOffset = HeaderSize, stringIndex = 0;
        for (int i = 0; i < _fields.Length; i++)
        {
            var f = _fields[i];
            uint value = f.Value;
            if (f.IsString)
            {
                var bytes = strings[stringIndex++];
                bytes.CopyTo(span[bufOffset..]);
                bufOffset += bytes.Length;
                value = (uint)bytes.Length;
            }
            W(span, FieldsOffset + i * 4, (uint)f.Field);
            W(span, ValuesOffset + i * 4, value);
            W(span, FieldFlagsOffset + i * 4, (uint)f.Operator);
        }
        W(span, BufLenOffset, (uint)bufLength);
        return data;
    }

    /// <summary>Decodes struct audit_rule_data (an AUDIT_LIST_RULES reply); malformed data throws <see cref="FormatException"/>.</summary>
    public static AuditRule FromRuleData(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize)
            throw new FormatException($"audit_rule_data needs {HeaderSize} bytes, got {data.Length}.");
        uint list = R(data, 0) & FilterListMask;
        uint action = R(data, 4);
        uint count = R(data, 8);
        uint bufLength = R(data, BufLenOffset);
        if (count > MaxFields) throw new FormatException($"audit_rule_data has field_count {count} > {MaxFields}.");
        if (bufLength > data.Length - HeaderSize)
            throw new FormatException($"audit_rule_data buflen {bufLength} exceeds the {data.Length - HeaderSize} bytes present.");

        bool all = true;
        var syscalls = new List<int>();
        for (int word = 0; word < BitmaskWords; word++)
        {
            uint bits = R(data, 12 + word * 4);
            uint required = word == BitmaskWords - 1 ? (1u << (32 - SyscallClassBits)) - 1 : uint.MaxValue;
            if ((bits & required) != required) all = false;
            for (int b = 0; b < 32; b++)
                if ((bits & (1u << b)) != 0) syscalls.Add(word * 32 + b);
        }

        var buf = data.Slice(HeaderSize, (int)bufLength);
        int bufOffset = 0;
        var fields = new AuditRuleField[count];
        for (int i = 0; i < count; i++)
        {
            var field = (AuditField)R(data, FieldsOffset + i * 4);
            uint value = R(data, ValuesOffset + i * 4);
            var op = (AuditOperator)(R(data, FieldFlagsOffset + i * 4) & OperatorMask);
            string? text = null;
            if (AuditRuleField.IsStringField(field))
            {
                if (value > buf.Length - bufOffset)
                    throw new FormatException($"Field {i} ({field}) claims {value} string bytes; only {buf.Length - bufOffset} remain.");
                text = Encoding.UTF8.GetString(buf.Slice(bufOffset, (int)value));
                bufOffset += (int)value;
            }
            fields[i] = new AuditRuleField(field, op, value, text);
        }
        return new AuditRule((AuditFilterList)list, (AuditRuleAction)action, fields, all ? null : syscalls, all);
    }

    private const int FieldsOffset = 12 + BitmaskWords * 4;
    private const int ValuesOffset = FieldsOffset + MaxFields * 4;
    private const int FieldFlagsOffset = ValuesOffset + MaxFields * 4;
    private const int BufLenOffset = FieldFlagsOffset + MaxFields * 4;

    private static uint R(ReadOnlySpan<byte> s, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(s[offset..]);
    private static void W(Span<byte> s, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(s[offset..], value);

    public bool Equals(AuditRule? other) =>
        other is not null && List == other.List && Action == other.Action && AllSyscalls == other.AllSyscalls &&
        _syscalls.AsSpan().SequenceEqual(other._syscalls) && _fields.AsSpan().SequenceEqual(other._fields);

    public override bool Equals(object? obj) => Equals(obj as AuditRule);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(List);
        h.Add(Action);
        h.Add(AllSyscalls);
        foreach (int s in _syscalls) h.Add(s);
        foreach (var f in _fields) h.Add(f);
        return h.ToHashCode();
    }

    public static bool operator ==(AuditRule? a, AuditRule? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(AuditRule? a, AuditRule? b) => !(a == b);
}
