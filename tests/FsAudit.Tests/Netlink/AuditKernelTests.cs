using Xunit;
using FsAudit.Engine.Kernel;
using FsAudit.Engine.Netlink;
using FsAudit.Tests.Kernel;

namespace FsAudit.Tests.Netlink;

[Collection(KernelCollection.Name)]
[Trait("Category", "Kernel")]
public sealed class AuditKernelTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fsaudit-netlink-");

    public void Dispose() => _dir.Delete(recursive: true);

    private AuditRule DirRule(string key = "fsaudit-netlink-test") =>
        AuditRule.Parse($"-a always,exit -F dir={_dir.FullName} -F perm=wa -k {key}");

    [KernelFact]
    public void Status_settings_round_trip_and_are_restored()
    {
        var guard = KernelStateGuard.Capture();
        try
        {
            var before = guard.Control.GetStatus();
            Assert.Equal(guard.Status.BacklogLimit, before.BacklogLimit);

            uint backlog = before.BacklogLimit + 17;
            uint rate = before.RateLimit + 3;
            uint wait = before.BacklogWaitTime == 1000 ? 2000u : 1000u;
            uint failure = before.Failure == 1 ? 0u : 1u;
            guard.Control.SetBacklogLimit(backlog);
            guard.Control.SetRateLimit(rate);
            guard.Control.SetBacklogWaitTime(wait);
            guard.Control.SetFailure(failure);

            var after = guard.Control.GetStatus();
            Assert.Equal(backlog, after.BacklogLimit);
            Assert.Equal(rate, after.RateLimit);
            Assert.Equal(wait, after.BacklogWaitTime);
            Assert.Equal(failure, after.Failure);
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void Immutable_and_panic_are_refused_without_touching_the_kernel()
    {
        using var guard = KernelStateGuard.Capture();
        Assert.Throws<ArgumentOutOfRangeException>(() => guard.Control.SetEnabled(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => guard.Control.SetFailure(2));
        var now = guard.Control.GetStatus();
        Assert.Equal(guard.Status.Enabled, now.Enabled);
        Assert.Equal(guard.Status.Failure, now.Failure);
    }

    [KernelFact]
    public void Kernel_rejection_surfaces_errno_and_request()
    {
        using var guard = KernelStateGuard.Capture();
        var e = Assert.Throws<AuditKernelException>(() => guard.Control.SetFailure(7));
        Assert.Equal(22, e.Errno);
        Assert.Equal("EINVAL", e.ErrnoName);
        Assert.Equal(AuditMessageType.Set, e.RequestType);
        Assert.StartsWith("AUDIT_SET failed: EINVAL (", e.Message);
    }

    [KernelFact]
    public void Dir_watch_rule_is_added_listed_and_deleted()
    {
        var guard = KernelStateGuard.Capture();
        var rule = DirRule();
        try
        {
            Assert.DoesNotContain(rule, guard.Rules);
            guard.Control.AddRule(rule);
            var listed = guard.Control.ListRules();
            Assert.Single(listed, r => r.Equals(rule));
            Assert.Equal(guard.Rules.Count + 1, listed.Count);
            var mine = listed.Single(r => r.Equals(rule));
            Assert.True(mine.AllSyscalls);
            Assert.Equal(["fsaudit-netlink-test"], mine.Keys);
            Assert.Equal(rule.ToString(), mine.ToString());

            guard.Control.DeleteRule(rule);
            Assert.DoesNotContain(rule, guard.Control.ListRules());
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void Adding_a_rule_twice_fails_with_EEXIST()
    {
        using var guard = KernelStateGuard.Capture();
        var rule = DirRule();
        guard.Control.AddRule(rule);
        var e = Assert.Throws<AuditKernelException>(() => guard.Control.AddRule(rule));
        Assert.Equal(17, e.Errno);
        Assert.Equal("EEXIST", e.ErrnoName);
        Assert.StartsWith("AUDIT_ADD_RULE failed: EEXIST (", e.Message);
        Assert.Single(guard.Control.ListRules(), r => r.Equals(rule));
    }

    [KernelFact]
    public void Deleting_a_missing_rule_fails_with_ENOENT()
    {
        using var guard = KernelStateGuard.Capture();
        var e = Assert.Throws<AuditKernelException>(() => guard.Control.DeleteRule(DirRule("never-added")));
        Assert.Equal(2, e.Errno);
        Assert.Equal("AUDIT_DEL_RULE failed: ENOENT (No such file or directory)", e.Message);
    }

    [KernelFact]
    public void Guard_restores_rules_and_daemon_after_a_failing_test()
    {
        var guard = KernelStateGuard.Capture();
        using (var daemon = new AuditDaemonConnection())
        {
            guard.Control.SetEnabled(1);
            guard.Control.AddRule(DirRule());
            daemon.Register();
            Assert.Equal((uint)Environment.ProcessId, guard.Control.GetStatus().Pid);
            // Simulate a test that dies here: the daemon socket stays registered until the guard cleans up.
            guard.Dispose();
            Assert.False(daemon.Socket.IsDisposed);
        }
        Assert.Empty(guard.Differences());
    }

    private sealed record Op(string Label, string Syscall, string Path, Func<SyscallChild, long> Run);

    [KernelFact]
    public void Daemon_receives_each_file_operation_exactly_once()
    {
        var guard = KernelStateGuard.Capture();
        string d = _dir.FullName;
        var ops = new List<Op>
        {
            new("creat", "creat", $"{d}/a", c => c.Call("close", c.Call("creat", $"{d}/a", 0x1a4))),
            new("rename", "rename", $"{d}/b", c => c.Call("rename", $"{d}/a", $"{d}/b")),
            new("chmod", "chmod", $"{d}/b", c => c.Call("chmod", $"{d}/b", 0x180)),
            new("mkdir", "mkdir", $"{d}/sub", c => c.Call("mkdir", $"{d}/sub", 0x1ed)),
            new("rmdir", "rmdir", $"{d}/sub", c => c.Call("rmdir", $"{d}/sub")),
            new("unlink", "unlink", $"{d}/b", c => c.Call("unlink", $"{d}/b")),
        };
        try
        {
            // The kernel does not audit the daemon's own process: the operations run in a child.
            using var child = SyscallChild.Start();
            using var daemon = new AuditDaemonConnection();
            guard.Control.SetEnabled(1);
            guard.Control.AddRule(DirRule());
            daemon.Register();
            foreach (var op in ops)
                Assert.True(op.Run(child) >= 0, $"{op.Label} failed");

            var records = KernelRecords.ReceiveUntil(daemon, rs => ops.All(op => EventsFor(rs, op).Count == 1 && HasEoe(rs, op)));
            daemon.Unregister();

            foreach (var op in ops)
            {
                var events = EventsFor(records, op);
                var serial = Assert.Single(events);
                var eventRecords = records.Where(r => r.Serial == serial).ToList();
                var syscall = Assert.Single(eventRecords, r => r.Type == 1300);                // SYSCALL
                Assert.Equal(child.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), syscall.Field("pid"));
                Assert.Single(eventRecords, r => r.Type == 1320);                              // EOE
                Assert.Single(eventRecords, r => r.Type == 1302 && r.Field("name") == $"\"{op.Path}\"");
                Assert.Equal(eventRecords.Count, eventRecords.Distinct().Count());
            }
            Assert.Equal(0, daemon.Socket.ReceiveOverruns);
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void A_status_query_with_the_backlog_half_full_sends_a_wake_message_the_daemon_receives()
    {
        var guard = KernelStateGuard.Capture();
        string d = _dir.FullName;
        try
        {
            using var child = SyscallChild.Start();
            // A registered daemon that does not read yet, with the smallest receive buffer: kauditd blocks on it after a
            // few records, so the backlog fills (producers past the limit wait 1 jiffy per record, then lose it).
            using var daemon = new AuditDaemonConnection(receiveBufferBytes: 4096);
            guard.Control.SetEnabled(1);
            guard.Control.SetBacklogLimit(8);
            guard.Control.SetBacklogWaitTime(1);
            guard.Control.AddRule(DirRule());
            daemon.Register();
            for (int i = 0; i < 10; i++) child.Call("close", child.Call("creat", $"{d}/f{i}", 0x1a4));

            using var control = new AuditControl();
            var status = control.GetStatus();
            Assert.True(status.BacklogAtLeastHalfFull, $"backlog {status.Backlog} of {status.BacklogLimit}");
            Assert.Equal(1, control.BacklogWakes);
            // A settings request inside the window (penalized the same way) is followed by a wake as well.
            control.SetBacklogWaitTime(1);
            Assert.Equal(2, control.BacklogWakes);
            Assert.Equal(0, control.BacklogWakeFailures);

            // Reading lets kauditd go on; the wake message's record comes after the records queued before it.
            string marker = $"msg='{AuditControl.BacklogWakeMessage}'";
            var records = KernelRecords.ReceiveUntil(daemon, rs => rs.Any(r => r.Type == AuditMessageType.User && r.Text.Contains(marker, StringComparison.Ordinal)));
            daemon.Unregister();
            var wake = records.First(r => r.Type == AuditMessageType.User && r.Text.Contains(marker, StringComparison.Ordinal));
            Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), wake.Field("pid"));
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    [KernelFact]
    public void A_login_record_below_type_1100_arrives_whole()
    {
        var guard = KernelStateGuard.Capture();
        try
        {
            using var child = SyscallChild.Start();
            using var daemon = new AuditDaemonConnection();
            guard.Control.SetEnabled(1);
            daemon.Register();
            // Setting a process's loginuid makes the kernel log AUDIT_LOGIN (1006), framed like every record (nlmsg_len
            // without the header): read as a control message, its tail made the rest of the buffer look malformed.
            long fd = child.Call("open", "/proc/self/loginuid", 1 /* O_WRONLY */);
            Assert.True(fd >= 0, $"open /proc/self/loginuid: {fd}");
            long written = child.Call("write", fd, "4242", 4);
            child.Call("close", fd);
            Assert.True(written == 4, $"writing loginuid 4242 returned {written} (loginuid immutable here?)");

            string pid = child.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // ReceiveUntil throws on malformed netlink data; the login record must come whole, with its fields.
            var records = KernelRecords.ReceiveUntil(daemon, rs => rs.Any(r => r.Type == AuditMessageType.Login && r.Field("pid") == pid));
            daemon.Unregister();
            var login = Assert.Single(records, r => r.Type == AuditMessageType.Login && r.Field("pid") == pid);
            Assert.Equal("4242", login.Field("auid"));
            Assert.NotNull(login.Serial);
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    private static List<uint> EventsFor(List<ReceivedRecord> records, Op op)
    {
        string syscall = (X86_64Syscalls.TryGetNumber(op.Syscall, out int n) ? n : -1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var serials = records.Where(r => r.Type == 1300 && r.Field("syscall") == syscall).Select(r => r.Serial!.Value).ToHashSet();
        return records.Where(r => r.Type == 1302 && r.Field("name") == $"\"{op.Path}\"" && serials.Contains(r.Serial!.Value))
            .Select(r => r.Serial!.Value).Distinct().ToList();
    }

    private static bool HasEoe(List<ReceivedRecord> records, Op op) =>
        EventsFor(records, op) is [var serial] && records.Any(r => r.Type == 1320 && r.Serial == serial);
}
