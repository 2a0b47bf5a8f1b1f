namespace FsAudit.Engine.Netlink;

/// <summary>
/// When a status query should be followed by a backlog wake message (<see cref="AuditControl.GetStatus"/> says why):
/// after a reply showing the backlog at least half its limit, and after every request for <see cref="Window"/> from then,
/// so a producer stranded by one request is freed by the next one's wake. Thread-safe.
/// </summary>
public sealed class BacklogWakePolicy
{
    /// <summary>How long after a half-full reply every query still sends a wake.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    private long _wakeUntilMs = long.MinValue;

    /// <param name="status">The reply just received.</param>
    /// <param name="nowMs">A monotonic clock in milliseconds (Environment.TickCount64).</param>
    public bool ShouldWake(AuditStatus status, long nowMs)
    {
        if (status.BacklogAtLeastHalfFull) Volatile.Write(ref _wakeUntilMs, nowMs + (long)Window.TotalMilliseconds);
        return InWindow(nowMs);
    }

    /// <summary>Within <see cref="Window"/> of the last half-full reply: a request without a status reply (settings,
    /// rules) should be followed by a wake too.</summary>
    public bool InWindow(long nowMs) => nowMs <= Volatile.Read(ref _wakeUntilMs);
}

/// <summary>Backlog wake messages a control socket sent (<see cref="AuditControl.GetStatus"/>), and those that failed.</summary>
public readonly record struct BacklogWakeCounts(long Sent, long Failed);
