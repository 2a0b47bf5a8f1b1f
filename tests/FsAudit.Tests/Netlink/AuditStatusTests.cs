using FsAudit.Engine.Netlink;
using Xunit;

namespace FsAudit.Tests.Netlink;

public sealed class AuditStatusTests
{
    [Fact]
    public void Round_trips_all_eleven_fields_in_kernel_order()
    {
        var status = new AuditStatus(AuditStatusMask.Pid | AuditStatusMask.Enabled, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        var bytes = new byte[AuditStatus.Size];
        status.Write(bytes);
        Assert.Equal(3u, BitConverter.ToUInt32(bytes, 12)); // pid is the fourth u32
        Assert.Equal(10u, BitConverter.ToUInt32(bytes, 40));
        Assert.Equal(status, AuditStatus.Read(bytes));
    }

    [Fact]
    public void Older_shorter_payload_reads_missing_fields_as_zero()
    {
        var bytes = new byte[AuditStatus.Size];
        new AuditStatus(AuditStatusMask.None, 1, 1, 0, 0, 64, 0, 0, 0, 60000, 99).Write(bytes);
        var read = AuditStatus.Read(bytes.AsSpan(0, 40));
        Assert.Equal(64u, read.BacklogLimit);
        Assert.Equal(60000u, read.BacklogWaitTime);
        Assert.Equal(0u, read.BacklogWaitTimeActual);
    }

    [Fact]
    public void Kernel_exception_message_names_request_and_errno()
    {
        var e = new AuditKernelException(AuditMessageType.DelRule, -2);
        Assert.Equal("AUDIT_DEL_RULE failed: ENOENT (No such file or directory)", e.Message);
        Assert.Equal(2, e.Errno);
        Assert.Equal("ENOENT", e.ErrnoName);
        Assert.Equal("AUDIT_DEL_RULE", e.RequestName);
    }

    [Theory]
    [InlineData(0u, 5000u, false)]          // no limit: producers never wait
    [InlineData(4096u, 2047u, false)]
    [InlineData(4096u, 2048u, true)]
    [InlineData(4096u, 4097u, true)]
    [InlineData(1u, 0u, false)]
    [InlineData(1u, 1u, true)]
    [InlineData(uint.MaxValue, uint.MaxValue, true)] // no overflow in the doubling
    public void Backlog_at_least_half_full(uint limit, uint backlog, bool expected) =>
        Assert.Equal(expected, new AuditStatus { BacklogLimit = limit, Backlog = backlog }.BacklogAtLeastHalfFull);

    [Fact]
    public void Wakes_follow_a_half_full_reply_and_every_reply_for_the_window_after_it()
    {
        var policy = new BacklogWakePolicy();
        var low = new AuditStatus { BacklogLimit = 4096, Backlog = 10 };
        var half = new AuditStatus { BacklogLimit = 4096, Backlog = 2048 };
        long window = (long)BacklogWakePolicy.Window.TotalMilliseconds;

        Assert.False(policy.ShouldWake(low, 1_000));                  // nothing seen yet
        Assert.False(policy.InWindow(1_500));
        Assert.True(policy.ShouldWake(half, 2_000));                  // half full
        Assert.True(policy.InWindow(2_000 + window / 2));              // a settings or rule request in the window: wake too
        Assert.True(policy.ShouldWake(low, 2_000 + window));          // the stranded producer's queue is empty: still wake
        Assert.False(policy.ShouldWake(low, 2_000 + window + 1));     // the window has passed
        Assert.True(policy.ShouldWake(half, 10_000));                 // a new overflow opens it again
        Assert.False(new BacklogWakePolicy().ShouldWake(new AuditStatus { BacklogLimit = 0, Backlog = 100_000 }, 0)); // no limit, nobody waits
    }
}

