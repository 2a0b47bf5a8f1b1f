namespace FsAudit.Tests.Classification;

/// <summary>
/// The x86_64 syscalls the kernel's perm= filter selects, written out from the kernel sources (Linux 6.13+,
/// which this machine's 6.18 kernel includes), independently of the production table:
///   include/asm-generic/audit_dir_write.h, audit_write.h (which includes audit_dir_write.h),
///   audit_change_attr.h, audit_read.h — compiled into arch/x86/kernel/audit_64.c's class arrays — and
///   arch/x86/kernel/audit_64.c audit_classify_syscall: open → AUDITSC_OPEN, openat → AUDITSC_OPENAT,
///   openat2 → AUDITSC_OPENAT2 (matched by the open's access mode), execve/execveat → AUDITSC_EXECVE (perm x).
/// kernel/auditsc.c audit_match_perm: w → write class, r → read class, a → chattr class.
/// </summary>
internal static class KernelPermClasses
{
    public static readonly string[] DirWrite =
    [
        "rename", "mkdir", "rmdir", "creat", "link", "unlink", "symlink", "mknod", "mkdirat", "mknodat",
        "unlinkat", "renameat", "linkat", "symlinkat", "renameat2",
    ];

    // audit_write.h: dir_write + these (truncate64/ftruncate64 do not exist on x86_64).
    public static readonly string[] Write =
        [.. DirWrite, "acct", "swapon", "quotactl", "truncate", "ftruncate", "bind", "fallocate"];

    // audit_change_attr.h (chown32 & co. do not exist on x86_64).
    public static readonly string[] ChangeAttr =
    [
        "chmod", "fchmod", "chown", "lchown", "fchown", "setxattr", "setxattrat", "lsetxattr", "fsetxattr",
        "removexattr", "removexattrat", "lremovexattr", "fremovexattr", "fchownat", "fchmodat", "fchmodat2",
        "link", "linkat",
    ];

    // audit_read.h.
    public static readonly string[] Read =
    [
        "readlink", "quotactl", "listxattr", "listxattrat", "llistxattr", "flistxattr", "getxattr",
        "getxattrat", "lgetxattr", "fgetxattr", "readlinkat",
    ];

    public static readonly string[] Opens = ["open", "openat", "openat2"];
    public static readonly string[] Execs = ["execve", "execveat"];

    /// <summary>perm=wa: write class, change-attribute class, and opens for writing.</summary>
    public static readonly string[] PermWa = [.. Write.Union(ChangeAttr).Union(Opens)];

    /// <summary>perm=rwxa: all of perm=wa plus the read class, every open, and execs.</summary>
    public static readonly string[] PermRwxa = [.. PermWa.Union(Read).Union(Execs)];
}
