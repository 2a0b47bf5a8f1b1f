using System.Collections.Frozen;

namespace FsAudit.Engine.Classification;

/// <summary>How a syscall's arguments or PATH items refine its event name (see <see cref="SyscallEventTable"/>).</summary>
public enum Refinement : byte
{
    None,
    /// <summary>open(path, flags, mode): FILE_Create if a PATH item is CREATE, else by access mode FILE_Write / FILE_Open.</summary>
    OpenFlagsInA1,
    /// <summary>openat(dfd, path, flags, mode): as <see cref="OpenFlagsInA1"/> with flags in a2.</summary>
    OpenFlagsInA2,
    /// <summary>openat2(dfd, path, how, size): flags come from the OPENAT2 record; without it, FILE_Open unless CREATE.</summary>
    OpenHow,
    /// <summary>creat(path, mode) is open(O_CREAT|O_WRONLY|O_TRUNC): FILE_Create if CREATE, else FILE_Write.</summary>
    Creat,
    /// <summary>mknod(path, mode, dev): FILE_Create for a regular file that was created (CREATE), else FILE_Mknod.</summary>
    MknodModeInA1,
    /// <summary>mknodat(dfd, path, mode, dev): as <see cref="MknodModeInA1"/> with mode in a2.</summary>
    MknodModeInA2,
    /// <summary>unlinkat(dfd, path, flags): AT_REMOVEDIR in a2 makes it FS_Rmdir.</summary>
    RemoveDirFlagInA2,
    /// <summary>acct(path): a NULL path (a0 = 0) turns accounting off: ACCT_Disable.</summary>
    AcctPathInA0,
    /// <summary>fchmodat2(dfd, path, mode, flags): AT_EMPTY_PATH in a3 acts on dfd itself: FILE_Fchmod.</summary>
    EmptyPathFlagInA3,
}

/// <summary>One row of the syscall table: the x86_64 syscall, its event name, and the rule that may refine it.</summary>
public sealed record SyscallRule(string Syscall, int Number, string EventName, Refinement Refinement)
{
    /// <summary>Every name this row can produce (the base name first).</summary>
    public IReadOnlyList<string> PossibleNames { get; } = SyscallEventTable.Outputs(EventName, Refinement);
}

/// <summary>
/// THE table: x86_64 syscall number → AIX-style event name, plus refinement rules. Rows are written by name and
/// resolved to numbers through <see cref="Kernel.X86_64Syscalls"/> (see <see cref="KernelSyscallsBeyondHeaders"/>
/// for syscalls newer than its headers). It covers every syscall the kernel's perm=wa and perm=rwxa filters
/// select on x86_64 (docs/events.md lists them) plus the file-system calls a user's -S rules commonly name.
/// </summary>
public static class SyscallEventTable
{
    private static readonly (string Syscall, string EventName, Refinement Refinement)[] Rows =
    [
        // Opening and creating.
        ("open", EventNames.FileOpen, Refinement.OpenFlagsInA1),
        ("openat", EventNames.FileOpen, Refinement.OpenFlagsInA2),
        ("openat2", EventNames.FileOpen, Refinement.OpenHow),
        ("creat", EventNames.FileWrite, Refinement.Creat),
        ("mknod", EventNames.FileMknod, Refinement.MknodModeInA1),
        ("mknodat", EventNames.FileMknod, Refinement.MknodModeInA2),
        // Name space.
        ("unlink", EventNames.FileUnlink, Refinement.None),
        ("unlinkat", EventNames.FileUnlink, Refinement.RemoveDirFlagInA2),
        ("rename", EventNames.FileRename, Refinement.None),
        ("renameat", EventNames.FileRename, Refinement.None),
        ("renameat2", EventNames.FileRename, Refinement.None),
        ("link", EventNames.FileLink, Refinement.None),
        ("linkat", EventNames.FileLink, Refinement.None),
        ("symlink", EventNames.FileSymlink, Refinement.None),
        ("symlinkat", EventNames.FileSymlink, Refinement.None),
        ("mkdir", EventNames.FsMkdir, Refinement.None),
        ("mkdirat", EventNames.FsMkdir, Refinement.None),
        ("rmdir", EventNames.FsRmdir, Refinement.None),
        // Contents.
        ("truncate", EventNames.FileTruncate, Refinement.None),
        ("ftruncate", EventNames.FileTruncate, Refinement.None),
        ("fallocate", EventNames.FileFallocate, Refinement.None),
        // Attributes.
        ("chmod", EventNames.FileMode, Refinement.None),
        ("fchmodat", EventNames.FileMode, Refinement.None),
        ("fchmodat2", EventNames.FileMode, Refinement.EmptyPathFlagInA3),
        ("fchmod", EventNames.FileFchmod, Refinement.None),
        ("chown", EventNames.FileOwner, Refinement.None),
        ("lchown", EventNames.FileOwner, Refinement.None),
        ("fchownat", EventNames.FileOwner, Refinement.None),
        ("fchown", EventNames.FileFchown, Refinement.None),
        ("utime", EventNames.FileUtimes, Refinement.None),
        ("utimes", EventNames.FileUtimes, Refinement.None),
        ("futimesat", EventNames.FileUtimes, Refinement.None),
        ("utimensat", EventNames.FileUtimes, Refinement.None),
        ("setxattr", EventNames.FileXattr, Refinement.None),
        ("lsetxattr", EventNames.FileXattr, Refinement.None),
        ("fsetxattr", EventNames.FileXattr, Refinement.None),
        ("setxattrat", EventNames.FileXattr, Refinement.None),
        ("removexattr", EventNames.FileXattr, Refinement.None),
        ("lremovexattr", EventNames.FileXattr, Refinement.None),
        ("fremovexattr", EventNames.FileXattr, Refinement.None),
        ("removexattrat", EventNames.FileXattr, Refinement.None),
        // Reads the read class (perm=r) selects.
        ("getxattr", EventNames.FileGetxattr, Refinement.None),
        ("lgetxattr", EventNames.FileGetxattr, Refinement.None),
        ("fgetxattr", EventNames.FileGetxattr, Refinement.None),
        ("getxattrat", EventNames.FileGetxattr, Refinement.None),
        ("listxattr", EventNames.FileGetxattr, Refinement.None),
        ("llistxattr", EventNames.FileGetxattr, Refinement.None),
        ("flistxattr", EventNames.FileGetxattr, Refinement.None),
        ("listxattrat", EventNames.FileGetxattr, Refinement.None),
        ("readlink", EventNames.FileReadlink, Refinement.None),
        ("readlinkat", EventNames.FileReadlink, Refinement.None),
        // Execution (perm=x).
        ("execve", EventNames.ProcExecute, Refinement.None),
        ("execveat", EventNames.ProcExecute, Refinement.None),
        // Working directory, root, mounts.
        ("chdir", EventNames.FsChdir, Refinement.None),
        ("fchdir", EventNames.FsFchdir, Refinement.None),
        ("chroot", EventNames.FsChroot, Refinement.None),
        ("mount", EventNames.FsMount, Refinement.None),
        ("move_mount", EventNames.FsMount, Refinement.None),
        ("umount2", EventNames.FsUmount, Refinement.None),
        // System calls the write class holds because they take a path.
        ("acct", EventNames.AcctEnable, Refinement.AcctPathInA0),
        ("swapon", EventNames.FsSwapon, Refinement.None),
        ("quotactl", EventNames.FsQuotactl, Refinement.None),
        ("quotactl_fd", EventNames.FsQuotactl, Refinement.None),
        ("bind", EventNames.NetBind, Refinement.None),
    ];

    private static readonly SyscallRule?[] ByNumber;

    static SyscallEventTable()
    {
        var rules = new List<SyscallRule>(Rows.Length);
        foreach (var (syscall, name, refinement) in Rows)
        {
            // A name the kernel tables do not know is a typo in this file: fail loudly at first use.
            if (!KernelSyscallsBeyondHeaders.TryGetNumber(syscall, out var number))
                throw new InvalidOperationException($"syscall table names unknown x86_64 syscall '{syscall}'");
            rules.Add(new SyscallRule(syscall, number, name, refinement));
        }
        ByNumber = new SyscallRule?[rules.Max(r => r.Number) + 1];
        foreach (var r in rules)
        {
            if (ByNumber[r.Number] is not null)
                throw new InvalidOperationException($"syscall table maps '{r.Syscall}' twice");
            ByNumber[r.Number] = r;
        }
        Rules = rules;
        BySyscallName = rules.ToFrozenDictionary(r => r.Syscall, StringComparer.Ordinal);
    }

    /// <summary>Every row, in table order.</summary>
    public static IReadOnlyList<SyscallRule> Rules { get; }

    private static FrozenDictionary<string, SyscallRule> BySyscallName { get; }

    /// <summary>The row for an x86_64 syscall number, or null when the syscall is not mapped (it gets a fallback name).</summary>
    public static SyscallRule? Lookup(int number) => (uint)number < (uint)ByNumber.Length ? ByNumber[number] : null;

    public static SyscallRule? Lookup(string syscallName) => BySyscallName.GetValueOrDefault(syscallName);

    internal static IReadOnlyList<string> Outputs(string baseName, Refinement refinement) => refinement switch
    {
        Refinement.OpenFlagsInA1 or Refinement.OpenFlagsInA2 or Refinement.OpenHow =>
            [EventNames.FileOpen, EventNames.FileWrite, EventNames.FileCreate],
        Refinement.Creat => [EventNames.FileWrite, EventNames.FileCreate],
        Refinement.MknodModeInA1 or Refinement.MknodModeInA2 => [EventNames.FileMknod, EventNames.FileCreate],
        Refinement.RemoveDirFlagInA2 => [EventNames.FileUnlink, EventNames.FsRmdir],
        Refinement.AcctPathInA0 => [EventNames.AcctEnable, EventNames.AcctDisable],
        Refinement.EmptyPathFlagInA3 => [EventNames.FileMode, EventNames.FileFchmod],
        _ => [baseName],
    };
}
