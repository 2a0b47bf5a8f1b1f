namespace FsAudit.Engine.Correlation;

/// <summary>Which record types make up an event on their own (the rules auparse/ausearch use).</summary>
public static class RecordKinds
{
    public const ushort Syscall = 1300;
    public const ushort Eoe = 1320;

    /// <summary>
    /// Types that never share an event: user-space and daemon messages and LOGIN (&lt; 1300), KERNEL
    /// (2000), the anomaly/response/user ranges (&gt;= 2100) and the MAC_UNLBL..MAC_CALIPSO range.
    /// LOGIN can carry the serial of the syscall that set loginuid; like ausearch, it stays its own event.
    /// </summary>
    public static bool IsAlwaysAlone(ushort type) =>
        type < 1300 || type == 2000 || type >= 2100 || type is >= 1406 and <= 1419;

    /// <summary>auditd's own DAEMON_* records carry auditd's serials, not the kernel's.</summary>
    public static bool IsDaemon(ushort type) => type is >= 1200 and <= 1299;
}
