namespace FsAudit.Engine.Netlink;

/// <summary>The filter list a rule belongs to (AUDIT_FILTER_*, low bits of audit_rule_data.flags).</summary>
public enum AuditFilterList : uint
{
    User = 0,
    Task = 1,
    Entry = 2,
    Watch = 3,
    Exit = 4,
    Exclude = 5,
    Filesystem = 6,
    UringExit = 7,
}

/// <summary>audit_rule_data.action (AUDIT_NEVER / AUDIT_POSSIBLE / AUDIT_ALWAYS).</summary>
public enum AuditRuleAction : uint
{
    Never = 0,
    Possible = 1,
    Always = 2,
}

/// <summary>Comparison operators as encoded in audit_rule_data.fieldflags.</summary>
public enum AuditOperator : uint
{
    BitMask = 0x08000000,
    LessThan = 0x10000000,
    GreaterThan = 0x20000000,
    NotEqual = 0x30000000,
    Equal = 0x40000000,
    BitTest = BitMask | Equal,
    LessThanOrEqual = LessThan | Equal,
    GreaterThanOrEqual = GreaterThan | Equal,
}

/// <summary>Rule field numbers (AUDIT_PID ... AUDIT_FILTERKEY in linux/audit.h).</summary>
public enum AuditField : uint
{
    Pid = 0, Uid = 1, Euid = 2, Suid = 3, Fsuid = 4, Gid = 5, Egid = 6, Sgid = 7, Fsgid = 8,
    LoginUid = 9, Personality = 10, Arch = 11, MsgType = 12,
    SubjUser = 13, SubjRole = 14, SubjType = 15, SubjSen = 16, SubjClr = 17,
    Ppid = 18,
    ObjUser = 19, ObjRole = 20, ObjType = 21, ObjLevLow = 22, ObjLevHigh = 23,
    LoginUidSet = 24, SessionId = 25, FsType = 26,
    DevMajor = 100, DevMinor = 101, Inode = 102, Exit = 103, Success = 104,
    Watch = 105, Perm = 106, Dir = 107, FileType = 108, ObjUid = 109, ObjGid = 110,
    FieldCompare = 111, Exe = 112, SaddrFam = 113,
    Arg0 = 200, Arg1 = 201, Arg2 = 202, Arg3 = 203,
    FilterKey = 210,
}

/// <summary>AUDIT_PERM_* bits for the perm field.</summary>
[Flags]
public enum AuditPerm : uint
{
    None = 0,
    Exec = 1,
    Write = 2,
    Read = 4,
    Attr = 8,
}

/// <summary>One <c>-F field op value</c> of a rule; string fields (dir, path, key, exe, LSM labels) carry <see cref="Text"/>.</summary>
public readonly record struct AuditRuleField(AuditField Field, AuditOperator Operator, uint Value, string? Text = null)
{
    public static AuditRuleField Of(AuditField field, AuditOperator op, uint value) => new(field, op, value);

    public static AuditRuleField OfText(AuditField field, AuditOperator op, string text) =>
        new(field, op, (uint)System.Text.Encoding.UTF8.GetByteCount(text), text);

    /// <summary>Whether the kernel carries this field's value as a string in audit_rule_data.buf.</summary>
    public static bool IsStringField(AuditField field) => field switch
    {
        >= AuditField.SubjUser and <= AuditField.SubjClr => true,
        >= AuditField.ObjUser and <= AuditField.ObjLevHigh => true,
        AuditField.Watch or AuditField.Dir or AuditField.Exe or AuditField.FilterKey => true,
        _ => false,
    };

    public bool IsString => IsStringField(Field);

    // String fields compare on text only: Value is their byte length, derived at encoding.
    public bool Equals(AuditRuleField other) =>
        Field == other.Field && Operator == other.Operator &&
        (IsString ? string.Equals(Text, other.Text, StringComparison.Ordinal) : Value == other.Value);

    public override int GetHashCode() =>
        HashCode.Combine(Field, Operator, IsString ? StringComparer.Ordinal.GetHashCode(Text ?? "") : (int)Value);
}
