using System.Collections.ObjectModel;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Events;

/// <summary>The builder dispatches on key bytes (<see cref="FieldKey"/>) and parses numbers from bytes: pins what that reads.</summary>
public class EventBuilderKeyDispatchTests
{
    [Fact]
    public void Only_exact_keys_are_read()
    {
        // Near misses: case, prefixes, suffixes, a key of 9 bytes, a non-ASCII key.
        var e = EventBuilder.Build([Rec("SYSCALL", 1,
            "Arch=c000003e syscalls=2 SYSCALL=3 succes=no exit0=5 a=1 a00=2 a0_len=3 items2=4 Pid=5 pi=6 pid2=7 ppidx=8 " +
            "uidd=9 auid_=10 fsuid2=11 ses0=12 tty0=pts1 terminals=pts2 comm2=\"x\" exec=\"/x\" subject=y keys=\"k\" k\u00e9y=\"k2\"")], false);
        Assert.Null(e.Arch); Assert.Null(e.Syscall); Assert.Null(e.Success); Assert.Null(e.Exit);
        Assert.Null(e.A0); Assert.Null(e.Items); Assert.Null(e.Pid); Assert.Null(e.Ppid); Assert.Null(e.Uid);
        Assert.Null(e.Auid); Assert.Null(e.Fsuid); Assert.Null(e.Ses); Assert.Null(e.Tty); Assert.Null(e.Comm);
        Assert.Null(e.Exe); Assert.Null(e.Subj); Assert.Empty(e.Keys);

        var ok = EventBuilder.Build([Rec("SYSCALL", 2,
            "arch=c000003e syscall=2 success=no exit=-2 a0=1 a1=ffffffffffffffff a2=0 a3=10 items=4 pid=5 ppid=8 uid=9 gid=1 auid=10 " +
            "euid=2 suid=3 fsuid=11 egid=4 sgid=5 fsgid=6 ses=12 terminal=pts2 comm=\"x\" exe=\"/x\" subj=y key=\"k\"")], false);
        Assert.Equal(0xC000003Eu, ok.Arch); Assert.Equal(2, ok.Syscall); Assert.False(ok.Success); Assert.Equal(-2, ok.Exit);
        Assert.Equal("ENOENT", ok.Errno);
        Assert.Equal(1UL, ok.A0); Assert.Equal(ulong.MaxValue, ok.A1); Assert.Equal(0UL, ok.A2); Assert.Equal(0x10UL, ok.A3);
        Assert.Equal(4, ok.Items); Assert.Equal(5, ok.Pid); Assert.Equal(8, ok.Ppid); Assert.Equal(9u, ok.Uid); Assert.Equal(1u, ok.Gid);
        Assert.Equal(10u, ok.Auid); Assert.Equal(2u, ok.Euid); Assert.Equal(3u, ok.Suid); Assert.Equal(11u, ok.Fsuid);
        Assert.Equal(4u, ok.Egid); Assert.Equal(5u, ok.Sgid); Assert.Equal(6u, ok.Fsgid); Assert.Equal(12u, ok.Ses);
        Assert.Equal("pts2", ok.Tty); Assert.Equal("x", ok.Comm); Assert.Equal("/x", ok.Exe); Assert.Equal("y", ok.Subj); Assert.Equal("k", ok.Key);
    }

    [Fact]
    public void Numbers_keep_their_overflow_and_unset_rules()
    {
        var e = EventBuilder.Build([Rec("SYSCALL", 3,
            "arch=1c000003e syscall=-1 exit=9223372036854775808 a0=0x10 a1=+1 a2=10000000000000000 items=2147483648 " +
            "pid=2147483648 ppid=-2147483648 uid=-1 gid=4294967296 auid=4294967295 euid=+0 suid=1a ses=")], false);
        Assert.Null(e.Arch);          // hex over 32 bits
        Assert.Null(e.Syscall);       // negative
        Assert.Null(e.Exit);          // over long
        Assert.Null(e.A0);            // no 0x prefix
        Assert.Null(e.A1);            // no sign in hex
        Assert.Null(e.A2);            // 17 hex digits
        Assert.Null(e.Items);         // over int
        Assert.Null(e.Pid);           // over int
        Assert.Equal(int.MinValue, e.Ppid);
        Assert.Equal(AuditEvent.Unset, e.Uid);   // -1 is printed for unset ids
        Assert.Null(e.Gid);           // over uint
        Assert.Equal(AuditEvent.Unset, e.Auid);
        Assert.Null(e.Euid);          // ids take no sign
        Assert.Null(e.Suid);
        Assert.Null(e.Ses);           // empty

        // success=yes: no errno lookup (Errno.Name(long.MinValue) throws today; the correlator would count a build error).
        var exit = EventBuilder.Build([Rec("SYSCALL", 4, "success=yes exit=-9223372036854775808 syscall=+59 pid=-0 items=007")], false);
        Assert.Equal(long.MinValue, exit.Exit);
        Assert.Equal(59, exit.Syscall);
        Assert.Equal(0, exit.Pid);
        Assert.Equal(7, exit.Items);
    }

    [Fact]
    public void Path_fields_dispatch_on_bytes()
    {
        var e = EventBuilder.Build([
            Rec("SYSCALL", 5, SyscallFields()),
            Rec("PATH", 5, "item=1 name=\"/a\" inode=18446744073709551615 dev=fd:01 mode=37777777777 ouid=-1 ogid=4294967296 nametype=NORMAL"),
            Rec("PATH", 5, "item=0 names=\"/b\" inodes=1 Mode=0644 mode=08 ouid=+1 nametypes=X nametype=PARENT inode=18446744073709551616"),
        ], false);
        Assert.Equal(2, e.Paths.Count);
        var p0 = e.Paths[0];
        Assert.Equal(0, p0.Item); Assert.Null(p0.Name); Assert.Null(p0.Inode); Assert.Null(p0.Mode); Assert.Null(p0.Ouid);
        Assert.Equal("PARENT", p0.NameType); Assert.Null(p0.Dev);
        var p1 = e.Paths[1];
        Assert.Equal(1, p1.Item); Assert.Equal("/a", p1.Name); Assert.Equal(ulong.MaxValue, p1.Inode); Assert.Equal("fd:01", p1.Dev);
        Assert.Equal(uint.MaxValue, p1.Mode); Assert.Equal(AuditEvent.Unset, p1.Ouid); Assert.Null(p1.Ogid); Assert.Equal("NORMAL", p1.NameType);
    }

    [Fact]
    public void Stand_alone_records_read_msg_res_and_result_by_bytes()
    {
        var e = EventBuilder.Build([Rec("USER_LOGIN", 6, "pid=1 uid=0 msgs='res=failed' msg='op=login results=no result=yes acct=\"x\"'")], false);
        Assert.Equal("yes", e.Result);
        Assert.True(e.Success);
        var r = EventBuilder.Build([Rec("USER_LOGIN", 7, "pid=1 ress=no res=failed")], false);
        Assert.Equal("failed", r.Result);
        Assert.False(r.Success);
    }

    [Fact]
    public void Every_list_shape_builds_the_same_event()
    {
        AuditRecord[] records =
        [
            Rec("SYSCALL", 8, SyscallFields()),
            Rec("CWD", 8, "cwd=\"/tmp/work\""),
            Rec("PATH", 8, PathFields(0, "\"new.txt\"", "CREATE", 11)),
            Rec("EOE", 8, ""),
        ];
        var fromArray = EventBuilder.Build(records, false);
        var fromList = EventBuilder.Build(records.ToList(), false);
        var fromOther = EventBuilder.Build(new ReadOnlyCollection<AuditRecord>(records), false);
        var fromSpan = EventBuilder.BuildFrom(records, false);
        foreach (var e in new[] { fromArray, fromList, fromOther, fromSpan })
        {
            Assert.Equal(3, e.Records.Count); // EOE dropped
            Assert.Equal("/tmp/work/new.txt", Assert.Single(e.Paths).Name);
            Assert.Equal(257, e.Syscall);
            Assert.Equal(fromArray.Records, e.Records);
        }
        var onlyEoe = EventBuilder.BuildFrom([Rec("EOE", 9, "")], false);
        Assert.Empty(onlyEoe.Records);
        Assert.Equal("EOE", onlyEoe.Type);
        Assert.Equal(9u, onlyEoe.Serial);
        Assert.Equal("", EventBuilder.BuildFrom(ReadOnlySpan<AuditRecord>.Empty, false).Type);
    }
}
