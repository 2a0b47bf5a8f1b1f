using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Classification;

/// <summary>Classify(AuditEvent): events assembled by the parser from auditd log lines.</summary>
public class AuditEventAdapterTests
{
    private static AuditEvent Event(params string[] lines)
    {
        var records = lines.Select(l =>
        {
            Assert.True(RecordParser.TryParseLogLine(l, out var r, out var error), error);
            return r!;
        }).ToList();
        return EventBuilder.Build(records, incomplete: false);
    }

    private const string Head = "type=SYSCALL msg=audit(1700000000.123:4242): arch=c000003e";
    private const string Tail = "ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"t\" exe=\"/usr/bin/t\" key=\"k\"";

    [Fact]
    public void Openat_that_created_the_file_is_FILE_Create()
    {
        var e = Event(
            $"{Head} syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1000 a2=241 a3=1b6 items=2 {Tail}",
            "type=CWD msg=audit(1700000000.123:4242): cwd=\"/tmp/w\"",
            "type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/tmp/w\" inode=10 dev=08:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=PATH msg=audit(1700000000.123:4242): item=1 name=\"f\" inode=11 dev=08:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        var input = EventClassifier.ToInput(e);
        Assert.Equal(PathNameTypes.Parent | PathNameTypes.Create, input.PathNameTypes);
        Assert.Equal(0x241UL, input.A2);
        Assert.Equal("FILE_Create", EventClassifier.Classify(e));
    }

    [Fact]
    public void Openat_for_write_of_an_existing_file_is_FILE_Write()
    {
        var e = Event(
            $"{Head} syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1000 a2=241 a3=1b6 items=1 {Tail}",
            "type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/tmp/w/f\" inode=11 dev=08:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        Assert.Equal("FILE_Write", EventClassifier.Classify(e));
    }

    [Fact]
    public void Openat2_reads_its_flags_from_the_OPENAT2_record()
    {
        var e = Event(
            $"{Head} syscall=437 success=yes exit=3 a0=ffffff9c a1=7ffd1000 a2=7ffd2000 a3=18 items=1 {Tail}",
            "type=OPENAT2 msg=audit(1700000000.123:4242): oflag=01 mode=0 resolve=0x0",
            "type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/tmp/w/f\" inode=11 dev=08:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        Assert.Equal(1UL, EventClassifier.ToInput(e).OpenHowFlags);
        Assert.Equal("FILE_Write", EventClassifier.Classify(e));
    }

    [Fact]
    public void A_failed_unlinkat_of_a_directory_keeps_its_name()
    {
        var e = Event(
            $"{Head} syscall=263 success=no exit=-39 a0=ffffff9c a1=7ffd1000 a2=200 a3=0 items=2 {Tail}",
            "type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/tmp/w\" inode=10 dev=08:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=PATH msg=audit(1700000000.123:4242): item=1 name=\"d\" inode=12 dev=08:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=DELETE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        Assert.False(EventClassifier.ToInput(e).Success);
        Assert.Equal("FS_Rmdir", EventClassifier.Classify(e));
    }

    [Fact]
    public void A_user_record_keeps_its_type_name()
    {
        var e = Event("type=USER_LOGIN msg=audit(1700000000.123:4243): pid=7 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.1 terminal=sshd res=success'");
        Assert.Equal("USER_LOGIN", EventClassifier.Classify(e));
    }
}
