using FsAudit.Engine.Netlink;
using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>The bench puts the kernel's audit state back as found: checked against a fake kernel (no kernel access).</summary>
public class KernelRestoreTests
{
    private const string Root = "/tmp/fsaudit-bench-test";
    private static readonly AuditRule Theirs = AuditRule.DirectoryWatch("/etc", AuditPerm.Write, "theirs");
    private static readonly AuditRule Ours = AuditRule.DirectoryWatch(Root + "/load", AuditPerm.Write | AuditPerm.Attr, "fsaudit-bench");

    [Fact]
    public void Restore_undoes_settings_rules_and_our_registration()
    {
        var kernel = new FakeAuditKernel(FakeAuditKernel.Idle, Theirs);
        var keeper = KernelStateKeeper.Capture(kernel, Root, _ => false);

        kernel.SetEnabled(1);
        kernel.SetFailure(0);
        kernel.SetBacklogLimit(4096);
        kernel.SetBacklogWaitTime(1);
        kernel.SetRateLimit(99);
        kernel.SetPid((uint)Environment.ProcessId);
        kernel.AddRule(Ours);
        kernel.DeleteRule(Theirs);

        Assert.Empty(keeper.Restore());
        Assert.Equal(FakeAuditKernel.Idle, kernel.Status);
        Assert.Equal([Theirs], kernel.Rules);
    }

    [Fact]
    public void Restore_changes_nothing_when_nothing_changed()
    {
        var kernel = new FakeAuditKernel(FakeAuditKernel.Idle, Theirs);
        var keeper = KernelStateKeeper.Capture(kernel, Root, _ => false);
        Assert.Empty(keeper.Restore());
        Assert.DoesNotContain(kernel.Calls, c => c.StartsWith("set") || c.StartsWith("add") || c.StartsWith("delete"));
    }

    [Fact]
    public void A_rule_outside_the_bench_tree_is_reported_not_deleted()
    {
        var kernel = new FakeAuditKernel(FakeAuditKernel.Idle);
        var keeper = KernelStateKeeper.Capture(kernel, Root, _ => false);
        var stranger = AuditRule.DirectoryWatch(Root + "-other", AuditPerm.Write);
        kernel.AddRule(stranger);
        var problems = keeper.Restore();
        Assert.Contains(problems, p => p.Contains("not added by the bench"));
        Assert.Contains(stranger, kernel.Rules);
        Assert.True(keeper.IsOwned(Ours));
        Assert.False(keeper.IsOwned(stranger));
    }

    [Fact]
    public void Failure_mode_2_found_is_never_set_back()
    {
        var found = FakeAuditKernel.Idle with { Failure = 2 };
        var kernel = new FakeAuditKernel(found);
        var keeper = KernelStateKeeper.Capture(kernel, Root, _ => false);
        kernel.SetFailure(1);
        Assert.Empty(keeper.Restore()); // the fake throws if 2 were set
        Assert.Equal(1u, kernel.Status.Failure);
    }

    [Fact]
    public void A_child_daemon_still_registered_is_reported()
    {
        var kernel = new FakeAuditKernel(FakeAuditKernel.Idle);
        var keeper = KernelStateKeeper.Capture(kernel, Root, _ => false);
        kernel.Status = kernel.Status with { Pid = 424242 };
        Assert.Contains(keeper.Restore(), p => p.Contains("424242"));
    }

    [Fact]
    public void Capture_refuses_while_another_live_daemon_is_registered_or_the_config_is_locked()
    {
        var busy = new FakeAuditKernel(FakeAuditKernel.Idle with { Pid = 4711 });
        var e = Assert.Throws<BenchException>(() => KernelStateKeeper.Capture(busy, Root, pid => pid == 4711));
        Assert.Contains("4711", e.Message);
        // A dead daemon's pid does not block.
        KernelStateKeeper.Capture(busy, Root, _ => false);

        var locked = new FakeAuditKernel(FakeAuditKernel.Idle with { Enabled = 2 });
        Assert.Contains("enabled=2", Assert.Throws<BenchException>(() => KernelStateKeeper.Capture(locked, Root, _ => false)).Message);
    }
}
