namespace FsAudit.Engine.Netlink;

/// <summary>Netlink and audit control message types (linux/netlink.h, linux/audit.h).</summary>
public static class AuditMessageType
{
    public const ushort NlmsgNoop = 1;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort NlmsgOverrun = 4;

    public const ushort Get = 1000;
    public const ushort Set = 1001;
    public const ushort List = 1002;
    public const ushort Add = 1003;
    public const ushort Del = 1004;
    public const ushort User = 1005;
    public const ushort Login = 1006;
    public const ushort WatchIns = 1007;
    public const ushort WatchRem = 1008;
    public const ushort WatchList = 1009;
    public const ushort SignalInfo = 1010;
    public const ushort AddRule = 1011;
    public const ushort DelRule = 1012;
    public const ushort ListRules = 1013;
    public const ushort Trim = 1014;
    public const ushort MakeEquiv = 1015;
    public const ushort TtyGet = 1016;
    public const ushort TtySet = 1017;
    public const ushort SetFeature = 1018;
    public const ushort GetFeature = 1019;

    /// <summary>First record type; everything from here on is an audit record, not a control reply.</summary>
    public const ushort FirstRecord = 1100;

    /// <summary>
    /// Audit records as the kernel sends them to the daemon: every type from <see cref="FirstRecord"/> on, and the two
    /// below it the kernel logs as records too: AUDIT_USER (a user message, <c>auditctl -m</c>) and AUDIT_LOGIN (a
    /// loginuid change, at every login while auditing is on). Like all records they come with the header left out of
    /// nlmsg_len (<see cref="AuditNetlinkSocket.FixRecordLength"/>).
    /// </summary>
    public static bool IsRecord(ushort type) => type >= FirstRecord || type is User or Login;

    /// <summary>
    /// AUDIT_REPLACE: the kernel's probe of the registered daemon's socket whenever someone sends AUDIT_SET pid.
    /// Its payload is a binary pid, not record text; auditd ignores it.
    /// </summary>
    public const ushort Replace = 1329;

    /// <summary>Name used in error messages, e.g. <c>AUDIT_DEL_RULE</c>.</summary>
    public static string Name(ushort type) => type switch
    {
        NlmsgNoop => "NLMSG_NOOP",
        NlmsgError => "NLMSG_ERROR",
        NlmsgDone => "NLMSG_DONE",
        NlmsgOverrun => "NLMSG_OVERRUN",
        Get => "AUDIT_GET",
        Set => "AUDIT_SET",
        List => "AUDIT_LIST",
        Add => "AUDIT_ADD",
        Del => "AUDIT_DEL",
        User => "AUDIT_USER",
        Login => "AUDIT_LOGIN",
        WatchIns => "AUDIT_WATCH_INS",
        WatchRem => "AUDIT_WATCH_REM",
        WatchList => "AUDIT_WATCH_LIST",
        SignalInfo => "AUDIT_SIGNAL_INFO",
        AddRule => "AUDIT_ADD_RULE",
        DelRule => "AUDIT_DEL_RULE",
        ListRules => "AUDIT_LIST_RULES",
        Trim => "AUDIT_TRIM",
        MakeEquiv => "AUDIT_MAKE_EQUIV",
        TtyGet => "AUDIT_TTY_GET",
        TtySet => "AUDIT_TTY_SET",
        SetFeature => "AUDIT_SET_FEATURE",
        GetFeature => "AUDIT_GET_FEATURE",
        _ => $"type {type}",
    };
}

/// <summary>nlmsghdr.nlmsg_flags values (NLM_F_*).</summary>
public static class NetlinkFlags
{
    public const ushort Request = 0x1;
    public const ushort Multi = 0x2;
    public const ushort Ack = 0x4;
    public const ushort Echo = 0x8;
    public const ushort DumpIntr = 0x10;
    public const ushort DumpFiltered = 0x20;
    public const ushort Root = 0x100;
    public const ushort Match = 0x200;
    public const ushort Atomic = 0x400;
    public const ushort Dump = Root | Match;
    public const ushort Replace = 0x100;
    public const ushort Excl = 0x200;
    public const ushort Create = 0x400;
    public const ushort Append = 0x800;
    public const ushort Capped = 0x100;
    public const ushort AckTlvs = 0x200;
}

/// <summary>audit_status.mask bits (AUDIT_STATUS_*): which fields an AUDIT_SET changes.</summary>
[Flags]
public enum AuditStatusMask : uint
{
    None = 0,
    Enabled = 0x1,
    Failure = 0x2,
    Pid = 0x4,
    RateLimit = 0x8,
    BacklogLimit = 0x10,
    BacklogWaitTime = 0x20,
    Lost = 0x40,
    BacklogWaitTimeActual = 0x80,
}

/// <summary>Linux netlink protocol numbers not in Tmds.LibC.</summary>
internal static class NetlinkProtocol
{
    public const int NetlinkAudit = 9;
    public const int HeaderLength = 16;
    public const int ErrorPayloadMin = 4 + HeaderLength;

    public static int Align(int length) => (length + 3) & ~3;
}
