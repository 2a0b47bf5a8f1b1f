using System.Collections.Frozen;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Classification;

/// <summary>
/// The catalog of event names the syscall table produces, with origin, syscalls and a one-line description.
/// Events that are not syscalls are named by their record type (USER_LOGIN, CONFIG_CHANGE, ...), and an
/// unmapped syscall by <c>SYSCALL_&lt;name&gt;</c>; <see cref="IsProducible"/> accepts those too.
/// </summary>
public static class EventNames
{
    // AIX names (AIX /etc/security/audit/events).
    public const string FileOpen = "FILE_Open";
    public const string FileWrite = "FILE_Write";
    public const string FileUnlink = "FILE_Unlink";
    public const string FileRename = "FILE_Rename";
    public const string FileLink = "FILE_Link";
    public const string FileSymlink = "FILE_Symlink";
    public const string FileMknod = "FILE_Mknod";
    public const string FileMode = "FILE_Mode";
    public const string FileFchmod = "FILE_Fchmod";
    public const string FileOwner = "FILE_Owner";
    public const string FileFchown = "FILE_Fchown";
    public const string FileUtimes = "FILE_Utimes";
    public const string FsMkdir = "FS_Mkdir";
    public const string FsRmdir = "FS_Rmdir";
    public const string FsChdir = "FS_Chdir";
    public const string FsFchdir = "FS_Fchdir";
    public const string FsChroot = "FS_Chroot";
    public const string FsMount = "FS_Mount";
    public const string FsUmount = "FS_Umount";
    public const string ProcExecute = "PROC_Execute";
    public const string AcctEnable = "ACCT_Enable";
    public const string AcctDisable = "ACCT_Disable";

    // Ours: what Linux distinguishes and AIX has no event for.
    public const string FileCreate = "FILE_Create";
    public const string FileTruncate = "FILE_Truncate";
    public const string FileFallocate = "FILE_Fallocate";
    public const string FileXattr = "FILE_Xattr";
    public const string FileGetxattr = "FILE_Getxattr";
    public const string FileReadlink = "FILE_Readlink";
    public const string FsSwapon = "FS_Swapon";
    public const string FsQuotactl = "FS_Quotactl";
    public const string NetBind = "NET_Bind";

    /// <summary>Prefix of the fallback name of a syscall the table does not map.</summary>
    public const string SyscallFallbackPrefix = "SYSCALL_";

    private static readonly (string Name, EventNameOrigin Origin, string Description)[] Definitions =
    [
        (FileOpen, EventNameOrigin.Aix, "open of an existing file for reading only (or O_PATH)"),
        (FileWrite, EventNameOrigin.AixAdapted, "open of an existing file for writing (O_WRONLY/O_RDWR, any O_TRUNC); AIX uses it for write(2)"),
        (FileCreate, EventNameOrigin.FsAudit, "open/creat/mknod that created a regular file (a PATH item has nametype=CREATE)"),
        (FileUnlink, EventNameOrigin.Aix, "a name removed (unlink, unlinkat without AT_REMOVEDIR)"),
        (FileRename, EventNameOrigin.Aix, "a name moved or exchanged"),
        (FileLink, EventNameOrigin.Aix, "a hard link made"),
        (FileSymlink, EventNameOrigin.Aix, "a symbolic link made"),
        (FileMknod, EventNameOrigin.Aix, "mknod of a device, FIFO or socket node (or a mknod that created nothing)"),
        (FsMkdir, EventNameOrigin.Aix, "a directory made"),
        (FsRmdir, EventNameOrigin.Aix, "a directory removed (rmdir, unlinkat with AT_REMOVEDIR)"),
        (FileTruncate, EventNameOrigin.FsAudit, "file size set by truncate/ftruncate"),
        (FileFallocate, EventNameOrigin.FsAudit, "file space allocated, punched or collapsed by fallocate"),
        (FileMode, EventNameOrigin.Aix, "permission bits changed through a path"),
        (FileFchmod, EventNameOrigin.Aix, "permission bits changed through a descriptor"),
        (FileOwner, EventNameOrigin.Aix, "owner or group changed through a path"),
        (FileFchown, EventNameOrigin.Aix, "owner or group changed through a descriptor"),
        (FileUtimes, EventNameOrigin.Aix, "access/modification times set"),
        (FileXattr, EventNameOrigin.FsAudit, "extended attribute set or removed (POSIX ACLs and file capabilities included)"),
        (FileGetxattr, EventNameOrigin.FsAudit, "extended attribute read or listed"),
        (FileReadlink, EventNameOrigin.FsAudit, "symbolic link target read"),
        (ProcExecute, EventNameOrigin.Aix, "a program executed"),
        (FsChdir, EventNameOrigin.Aix, "working directory changed through a path"),
        (FsFchdir, EventNameOrigin.Aix, "working directory changed through a descriptor"),
        (FsChroot, EventNameOrigin.Aix, "root directory changed"),
        (FsMount, EventNameOrigin.Aix, "a file system mounted or a mount moved"),
        (FsUmount, EventNameOrigin.Aix, "a file system unmounted"),
        (AcctEnable, EventNameOrigin.Aix, "process accounting turned on (acct with a file)"),
        (AcctDisable, EventNameOrigin.Aix, "process accounting turned off (acct(NULL))"),
        (FsSwapon, EventNameOrigin.FsAudit, "a swap area enabled"),
        (FsQuotactl, EventNameOrigin.FsAudit, "disk quota operation"),
        (NetBind, EventNameOrigin.FsAudit, "socket bound to an address (a file watch sees Unix sockets: bind creates the socket file)"),
    ];

    private static readonly FrozenDictionary<string, EventNameInfo> ByName;

    static EventNames()
    {
        var infos = new List<EventNameInfo>(Definitions.Length);
        foreach (var (name, origin, description) in Definitions)
        {
            var syscalls = SyscallEventTable.Rules.Where(r => r.PossibleNames.Contains(name)).Select(r => r.Syscall).ToArray();
            infos.Add(new EventNameInfo(name, origin, description, syscalls));
        }
        All = infos;
        ByName = infos.ToFrozenDictionary(i => i.Name, StringComparer.Ordinal);
    }

    /// <summary>Every name the syscall table produces, in documentation order.</summary>
    public static IReadOnlyList<EventNameInfo> All { get; }

    public static bool TryGet(string name, out EventNameInfo info) => ByName.TryGetValue(name, out info!);

    public static bool IsCatalogName(string name) => ByName.ContainsKey(name);

    /// <summary>
    /// Whether the classifier can produce this name: a catalog name, a record type name (USER_LOGIN,
    /// UNKNOWN[1337]), or a syscall fallback (<c>SYSCALL_name</c> of an unmapped syscall, <c>SYSCALL_number</c>
    /// of an unnamed one, <c>SYSCALL_archhex_number</c> for other ABIs).
    /// </summary>
    public static bool IsProducible(string name)
    {
        if (ByName.ContainsKey(name) || RecordTypeNames.TryParse(name, out _)) return true;
        if (!name.StartsWith(SyscallFallbackPrefix, StringComparison.Ordinal)) return false;
        var rest = name.AsSpan(SyscallFallbackPrefix.Length);
        if (IsDecimal(rest))
            return int.TryParse(rest, out var n) && KernelSyscallsBeyondHeaders.Name(n) is null;
        var underscore = rest.IndexOf('_');
        if (underscore == 8 && IsHex(rest[..8]) && IsDecimal(rest[9..]))
            return uint.Parse(rest[..8], System.Globalization.NumberStyles.HexNumber) != X86_64Syscalls.AuditArch;
        var syscall = rest.ToString();
        return KernelSyscallsBeyondHeaders.TryGetNumber(syscall, out _) && SyscallEventTable.Lookup(syscall) is null;
    }

    private static bool IsDecimal(ReadOnlySpan<char> s) => s.Length > 0 && !s.ContainsAnyExceptInRange('0', '9');

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
