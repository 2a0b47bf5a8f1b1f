using FsAudit.Engine.Classification;
using FsAudit.Engine.Kernel;
using Xunit;
using static FsAudit.Engine.Classification.PathNameTypes;

namespace FsAudit.Tests.Classification;

public class EventClassifierTests
{
    private const ulong ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OTrunc = 0x200, OPath = 0x200000;
    private const ulong AtRemoveDir = 0x200, AtEmptyPath = 0x1000;
    private const ulong SIfReg = 0x8000, SIfChr = 0x2000, SIfIfo = 0x1000;

    private static int Nr(string syscall)
    {
        if (X86_64Syscalls.TryGetNumber(syscall, out var n)) return n;
        // Newer than the generated table (syscall_64.tbl numbers).
        return syscall switch
        {
            "fchmodat2" => 452, "setxattrat" => 463, "getxattrat" => 464, "listxattrat" => 465,
            "removexattrat" => 466, _ => throw new ArgumentException(syscall),
        };
    }

    private static string Classify(string syscall, PathNameTypes paths = None, ulong a0 = 0, ulong a1 = 0,
        ulong a2 = 0, ulong a3 = 0, bool success = true, ulong? how = null) =>
        EventClassifier.Classify(ClassificationInput.ForSyscall(Nr(syscall), paths, a0, a1, a2, a3, success, how));

    // The expected name of every table syscall for its plain case (refinements are tested below).
    public static TheoryData<string, string> PlainNames => new()
    {
        { "open", "FILE_Open" }, { "openat", "FILE_Open" }, { "openat2", "FILE_Open" }, { "creat", "FILE_Write" },
        { "mknod", "FILE_Mknod" }, { "mknodat", "FILE_Mknod" },
        { "unlink", "FILE_Unlink" }, { "unlinkat", "FILE_Unlink" },
        { "rename", "FILE_Rename" }, { "renameat", "FILE_Rename" }, { "renameat2", "FILE_Rename" },
        { "link", "FILE_Link" }, { "linkat", "FILE_Link" }, { "symlink", "FILE_Symlink" }, { "symlinkat", "FILE_Symlink" },
        { "mkdir", "FS_Mkdir" }, { "mkdirat", "FS_Mkdir" }, { "rmdir", "FS_Rmdir" },
        { "truncate", "FILE_Truncate" }, { "ftruncate", "FILE_Truncate" }, { "fallocate", "FILE_Fallocate" },
        { "chmod", "FILE_Mode" }, { "fchmodat", "FILE_Mode" }, { "fchmodat2", "FILE_Mode" }, { "fchmod", "FILE_Fchmod" },
        { "chown", "FILE_Owner" }, { "lchown", "FILE_Owner" }, { "fchownat", "FILE_Owner" }, { "fchown", "FILE_Fchown" },
        { "utime", "FILE_Utimes" }, { "utimes", "FILE_Utimes" }, { "futimesat", "FILE_Utimes" }, { "utimensat", "FILE_Utimes" },
        { "setxattr", "FILE_Xattr" }, { "lsetxattr", "FILE_Xattr" }, { "fsetxattr", "FILE_Xattr" }, { "setxattrat", "FILE_Xattr" },
        { "removexattr", "FILE_Xattr" }, { "lremovexattr", "FILE_Xattr" }, { "fremovexattr", "FILE_Xattr" },
        { "removexattrat", "FILE_Xattr" },
        { "getxattr", "FILE_Getxattr" }, { "lgetxattr", "FILE_Getxattr" }, { "fgetxattr", "FILE_Getxattr" },
        { "getxattrat", "FILE_Getxattr" }, { "listxattr", "FILE_Getxattr" }, { "llistxattr", "FILE_Getxattr" },
        { "flistxattr", "FILE_Getxattr" }, { "listxattrat", "FILE_Getxattr" },
        { "readlink", "FILE_Readlink" }, { "readlinkat", "FILE_Readlink" },
        { "execve", "PROC_Execute" }, { "execveat", "PROC_Execute" },
        { "chdir", "FS_Chdir" }, { "fchdir", "FS_Fchdir" }, { "chroot", "FS_Chroot" },
        { "mount", "FS_Mount" }, { "move_mount", "FS_Mount" }, { "umount2", "FS_Umount" },
        { "swapon", "FS_Swapon" }, { "quotactl", "FS_Quotactl" }, { "quotactl_fd", "FS_Quotactl" }, { "bind", "NET_Bind" },
    };

    [Theory]
    [MemberData(nameof(PlainNames))]
    public void Each_table_syscall_gets_its_name(string syscall, string expected)
    {
        // a0 = 1 keeps acct-style NULL checks out of the way; no PATH item says CREATE.
        Assert.Equal(expected, Classify(syscall, Normal | Parent, a0: 1));
        Assert.Equal(expected, SyscallEventTable.Lookup(Nr(syscall))!.EventName);
    }

    [Fact]
    public void The_expected_list_covers_the_whole_table()
    {
        var expected = PlainNames.Select(row => (string)row[0]).Append("acct").ToHashSet();
        Assert.Equal(expected.Order(), SyscallEventTable.Rules.Select(r => r.Syscall).Order());
    }

    [Theory]
    [InlineData("perm=wa")]
    [InlineData("perm=rwxa")]
    public void Every_syscall_the_kernel_perm_filter_selects_is_mapped(string filter)
    {
        var syscalls = filter == "perm=wa" ? KernelPermClasses.PermWa : KernelPermClasses.PermRwxa;
        var unmapped = syscalls.Where(s => SyscallEventTable.Lookup(Nr(s)) is null).ToList();
        Assert.Empty(unmapped);
        foreach (var s in syscalls)
            Assert.False(Classify(s, a0: 1).StartsWith("SYSCALL", StringComparison.Ordinal), s);
    }

    [Theory]
    [InlineData("open", 1)]
    [InlineData("openat", 2)]
    public void Open_is_create_when_a_path_item_is_CREATE_whatever_the_flags(string syscall, int flagsArg)
    {
        string Open(PathNameTypes p, ulong flags, bool ok = true) =>
            flagsArg == 1 ? Classify(syscall, p, a1: flags, success: ok) : Classify(syscall, p, a2: flags, success: ok);

        Assert.Equal("FILE_Create", Open(Parent | Create, OWrOnly | OCreat | OTrunc));
        Assert.Equal("FILE_Create", Open(Create | Parent, ORdOnly | OCreat));
        // O_CREAT on a file that exists creates nothing: the PATH item is NORMAL.
        Assert.Equal("FILE_Write", Open(Parent | Normal, OWrOnly | OCreat | OTrunc));
        Assert.Equal("FILE_Open", Open(Parent | Normal, ORdOnly | OCreat));
        Assert.Equal("FILE_Write", Open(Normal, ORdWr));
        Assert.Equal("FILE_Write", Open(Normal, 3)); // invalid access mode: the kernel treats it as read+write
        Assert.Equal("FILE_Open", Open(Normal, ORdOnly));
        Assert.Equal("FILE_Open", Open(Normal, OPath | ORdOnly));
        // A failed create keeps its name (success is reported separately).
        Assert.Equal("FILE_Create", Open(Parent | Create, OWrOnly | OCreat, ok: false));
        Assert.Equal("FILE_Write", Open(Parent, OWrOnly | OCreat, ok: false));
    }

    [Fact]
    public void Openat2_uses_the_OPENAT2_record_flags_and_the_path_items()
    {
        Assert.Equal("FILE_Create", Classify("openat2", Parent | Create, a2: 0x7ffd0000, how: OWrOnly | OCreat));
        Assert.Equal("FILE_Write", Classify("openat2", Normal, a2: 0x7ffd0000, how: ORdWr));
        Assert.Equal("FILE_Open", Classify("openat2", Normal, a2: 0x7ffd0000, how: ORdOnly));
        // Without the OPENAT2 record the access mode is unknown (a2 is a pointer, not flags).
        Assert.Equal("FILE_Open", Classify("openat2", Normal, a2: OWrOnly));
        Assert.Equal("FILE_Create", Classify("openat2", Parent | Create));
    }

    [Fact]
    public void Creat_is_create_or_write()
    {
        Assert.Equal("FILE_Create", Classify("creat", Parent | Create));
        Assert.Equal("FILE_Write", Classify("creat", Parent | Normal));
    }

    [Fact]
    public void Mknod_of_a_regular_file_that_was_created_is_FILE_Create_other_nodes_FILE_Mknod()
    {
        Assert.Equal("FILE_Create", Classify("mknod", Parent | Create, a1: SIfReg | 0x1a4));
        Assert.Equal("FILE_Create", Classify("mknod", Parent | Create, a1: 0x1a4)); // type 0 means regular
        Assert.Equal("FILE_Mknod", Classify("mknod", Parent | Create, a1: SIfChr | 0x1a4));
        Assert.Equal("FILE_Mknod", Classify("mknod", Parent, a1: SIfReg | 0x1a4, success: false)); // EEXIST
        Assert.Equal("FILE_Create", Classify("mknodat", Parent | Create, a2: SIfReg | 0x1a4));
        Assert.Equal("FILE_Mknod", Classify("mknodat", Parent | Create, a2: SIfIfo | 0x1a4));
        Assert.Equal("FILE_Mknod", Classify("mknodat", Parent | Create, a1: SIfReg, a2: SIfIfo)); // mode is a2
    }

    [Fact]
    public void Argument_refinements()
    {
        Assert.Equal("FS_Rmdir", Classify("unlinkat", Parent | Delete, a2: AtRemoveDir));
        Assert.Equal("FILE_Unlink", Classify("unlinkat", Parent | Delete, a2: 0));
        Assert.Equal("FILE_Fchmod", Classify("fchmodat2", Normal, a3: AtEmptyPath));
        Assert.Equal("FILE_Mode", Classify("fchmodat2", Normal, a3: 0x100)); // AT_SYMLINK_NOFOLLOW
        Assert.Equal("ACCT_Enable", Classify("acct", Normal, a0: 0x55d0c0de0000));
        Assert.Equal("ACCT_Disable", Classify("acct", None, a0: 0));
    }

    [Theory]
    [InlineData("USER_LOGIN")]
    [InlineData("CONFIG_CHANGE")]
    [InlineData("DAEMON_START")]
    [InlineData("UNKNOWN[1999]")]
    public void Records_that_are_not_syscalls_keep_their_type_name(string type)
    {
        Assert.Equal(type, EventClassifier.Classify(ClassificationInput.ForRecordType(type)));
    }

    [Fact]
    public void Unmapped_and_foreign_syscalls_get_documented_fallbacks()
    {
        Assert.Equal("SYSCALL_read", Classify("read"));
        Assert.Equal("SYSCALL_kill", Classify("kill"));
        Assert.Equal("SYSCALL_statmount", EventClassifier.Classify(ClassificationInput.ForSyscall(457)));
        Assert.Equal("SYSCALL_999", EventClassifier.Classify(ClassificationInput.ForSyscall(999)));
        Assert.Equal("SYSCALL_123456", EventClassifier.Classify(ClassificationInput.ForSyscall(123456)));
        var i386Open = new ClassificationInput("SYSCALL", 0x40000003, 5, true, 0, 0, 0, 0, Create);
        Assert.Equal("SYSCALL_40000003_5", EventClassifier.Classify(i386Open));
        Assert.Equal("SYSCALL", EventClassifier.Classify(ClassificationInput.ForSyscall(-1)));
        Assert.Equal("UNKNOWN", EventClassifier.Classify(default(ClassificationInput)));
        // Every fallback is accepted as an event name in a class.
        Assert.True(EventNames.IsProducible("SYSCALL_read"));
        Assert.True(EventNames.IsProducible("SYSCALL_999"));
        Assert.True(EventNames.IsProducible("SYSCALL_40000003_5"));
        Assert.False(EventNames.IsProducible("SYSCALL_open")); // open is mapped: never produced
        Assert.False(EventNames.IsProducible("SYSCALL_2"));    // 2 has a name
        Assert.False(EventNames.IsProducible("SYSCALL_c000003e_2"));
    }

    [Fact]
    public void Classifying_allocates_nothing()
    {
        var inputs = new[]
        {
            ClassificationInput.ForSyscall(Nr("openat"), Parent | Create, a2: OWrOnly | OCreat),
            ClassificationInput.ForSyscall(Nr("unlinkat"), Parent | Delete, a2: AtRemoveDir),
            ClassificationInput.ForSyscall(Nr("read")),
            ClassificationInput.ForSyscall(999),
            ClassificationInput.ForRecordType("USER_LOGIN"),
            new ClassificationInput("SYSCALL", 0x40000003, 5, true, 0, 0, 0, 0, None),
        };
        static int Run(ClassificationInput[] inputs)
        {
            var total = 0;
            for (var n = 0; n < 10_000; n++)
                foreach (var i in inputs) total += EventClassifier.Classify(i).Length;
            return total;
        }
        Run(inputs); // fill caches and let the JIT settle
        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = Run(inputs);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(total > 0);
    }

    [Fact]
    public void Catalog_lists_each_name_with_the_syscalls_that_produce_it()
    {
        Assert.True(EventNames.TryGet("FILE_Create", out var create));
        Assert.Equal(["open", "openat", "openat2", "creat", "mknod", "mknodat"], create.Syscalls);
        Assert.Equal(EventNameOrigin.FsAudit, create.Origin);
        Assert.True(EventNames.TryGet("FS_Rmdir", out var rmdir));
        Assert.Equal(["rmdir", "unlinkat"], rmdir.Syscalls.Order());
        // Every name the table can produce is in the catalog, and every catalog name is produced.
        var produced = SyscallEventTable.Rules.SelectMany(r => r.PossibleNames).ToHashSet();
        Assert.Equal(produced.Order(), EventNames.All.Select(i => i.Name).Order());
        Assert.All(EventNames.All, i => Assert.False(string.IsNullOrWhiteSpace(i.Description)));
    }
}
