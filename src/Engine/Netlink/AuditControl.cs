namespace FsAudit.Engine.Netlink;

/// <summary>
/// Audit control requests (status, settings, rules) on a socket of their own, so control replies never mix
/// with the record stream. Each request waits for the kernel's answer; errors surface as
/// <see cref="AuditKernelException"/>, silence as <see cref="AuditTimeoutException"/>.
/// </summary>
public sealed class AuditControl : IDisposable
{
    private readonly AuditNetlinkSocket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly object _gate = new();

    public AuditControl(int timeoutMs = 5000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutMs);
        TimeoutMs = timeoutMs;
        _socket = new AuditNetlinkSocket();
    }

    /// <summary>How long each request waits for the kernel's answer.</summary>
    public int TimeoutMs { get; set; }

    public uint PortId => _socket.PortId;

    /// <summary>
    /// The text of the user message <see cref="GetStatus"/> sends around a backlog overflow. The kernel logs it as a
    /// USER record (<c>msg='fsaudit-backlog-wake'</c>) that the daemon counts and keeps as an event, as auditd would.
    /// </summary>
    public const string BacklogWakeMessage = "fsaudit-backlog-wake";

    private long _backlogWakes, _backlogWakeFailures;

    /// <summary>Wake messages sent around a backlog overflow (see <see cref="GetStatus"/>).</summary>
    public long BacklogWakes => Interlocked.Read(ref _backlogWakes);

    /// <summary>Wake messages the kernel refused or did not answer (counted, never thrown from <see cref="GetStatus"/>).</summary>
    public long BacklogWakeFailures => Interlocked.Read(ref _backlogWakeFailures);

    /// <summary>Both wake counters at once, for status.</summary>
    public BacklogWakeCounts WakeCounts => new(BacklogWakes, BacklogWakeFailures);

    /// <summary>How the kernel logs <see cref="BacklogWakeMessage"/> in the USER record's text (the reader counts these).</summary>
    public static ReadOnlySpan<byte> BacklogWakeRecordText => "msg='fsaudit-backlog-wake'"u8;

    private readonly BacklogWakePolicy _wakePolicy = new();

    /// <summary>
    /// The kernel's status; around a backlog overflow also a wake message (see <see cref="BacklogWakeMessage"/>).
    /// <para>
    /// Why: while the backlog is over its limit the kernel makes the sender of every control request (this one
    /// included) sleep as an exclusive waiter beside the producers waiting in audit_log_start, and kauditd wakes one
    /// waiter per pass over its queue. When a control request takes the wake-up of the pass that emptied the queue, a
    /// producer that was the only one writing sleeps on with nothing left to start another pass: the whole
    /// backlog_wait_time, 60 s by default (measured: docs/benchmarks-log.md). A wake message's record makes kauditd run
    /// one more pass, which wakes it. The reply's backlog is read a moment before the kernel decides to make us wait, so
    /// a backlog at least half its limit counts, and for <see cref="BacklogWakePolicy.Window"/> after one every query sends a
    /// wake (so does every other request: settings, rules): a producer stranded by a request (or by a wake message sent
    /// while the queue refilled) is then freed by the next one's wake, whose own record meets an empty queue. Failures
    /// are counted, never thrown.
    /// </para>
    /// </summary>
    public AuditStatus GetStatus()
    {
        AuditStatus status = default;
        lock (_gate)
        {
            NetlinkExchange.Run(_socket, _buffer, AuditMessageType.Get, wantAck: false, [], TimeoutMs,
                (in NetlinkMessage m) =>
                {
                    if (m.Type != AuditMessageType.Get) return false;
                    status = AuditStatus.Read(m.Payload);
                    return true;
                });
        }
        if (_wakePolicy.ShouldWake(status, Environment.TickCount64)) WakeBacklogWaiters();
        return status;
    }

    private void WakeBacklogWaiters()
    {
        try
        {
            SendUserMessage(BacklogWakeMessage);
            Interlocked.Increment(ref _backlogWakes);
        }
        catch (Exception e) when (e is AuditKernelException or AuditTimeoutException or NetlinkSocketException)
        {
            Interlocked.Increment(ref _backlogWakeFailures);
        }
    }

    /// <summary>Enables (1) or disables (0) auditing. 2 (immutable until reboot) is refused.</summary>
    public void SetEnabled(uint enabled)
    {
        if (enabled == 2) throw new ArgumentOutOfRangeException(nameof(enabled), "enabled=2 would lock the audit configuration until reboot; refused.");
        Set(new AuditStatus { Mask = AuditStatusMask.Enabled, Enabled = enabled });
    }

    /// <summary>Sets the failure mode (0 silent, 1 printk). 2 (kernel panic) is refused.</summary>
    public void SetFailure(uint failure)
    {
        if (failure == 2) throw new ArgumentOutOfRangeException(nameof(failure), "failure=2 panics the kernel on audit loss; refused.");
        Set(new AuditStatus { Mask = AuditStatusMask.Failure, Failure = failure });
    }

    public void SetRateLimit(uint messagesPerSecond) =>
        Set(new AuditStatus { Mask = AuditStatusMask.RateLimit, RateLimit = messagesPerSecond });

    public void SetBacklogLimit(uint limit) =>
        Set(new AuditStatus { Mask = AuditStatusMask.BacklogLimit, BacklogLimit = limit });

    /// <summary>How long (in jiffies-based ticks, auditctl's unit) producers wait when the backlog is full.</summary>
    public void SetBacklogWaitTime(uint waitTime) =>
        Set(new AuditStatus { Mask = AuditStatusMask.BacklogWaitTime, BacklogWaitTime = waitTime });

    /// <summary>
    /// Sets the daemon pid from this control socket. The kernel takes the sender's socket as the daemon's,
    /// so register through <see cref="AuditDaemonConnection.Register"/>; use this with 0 to unregister a daemon
    /// of this process (the kernel refuses with EACCES to unregister another live process).
    /// </summary>
    public void SetPid(uint pid) => Set(new AuditStatus { Mask = AuditStatusMask.Pid, Pid = pid });

    public void Set(AuditStatus status) => Request(AuditMessageType.Set, StatusPayload(status));

    /// <summary>
    /// Sends a user message (AUDIT_USER, as <c>auditctl -m</c>): the kernel logs it as a record of type 1005 while
    /// auditing is enabled. Also a way to make kauditd send something, e.g. so it notices that a registered daemon's
    /// socket is gone and drops the registration.
    /// </summary>
    public void SendUserMessage(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var payload = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1]; // NUL-terminated, as auditctl sends it
        System.Text.Encoding.UTF8.GetBytes(text, payload);
        Request(AuditMessageType.User, payload);
    }

    public void AddRule(AuditRule rule) => Request(AuditMessageType.AddRule, rule.ToRuleData());

    public void DeleteRule(AuditRule rule) => Request(AuditMessageType.DelRule, rule.ToRuleData());

    /// <summary>All rules of all lists, in kernel order (a multi-part reply ended by NLMSG_DONE).</summary>
    public IReadOnlyList<AuditRule> ListRules()
    {
        var rules = new List<AuditRule>();
        FormatException? bad = null;
        lock (_gate)
        {
            NetlinkExchange.Run(_socket, _buffer, AuditMessageType.ListRules, wantAck: false, [], TimeoutMs,
                (in NetlinkMessage m) =>
                {
                    if (m.Type == AuditMessageType.NlmsgDone) return true;
                    if (m.Type != AuditMessageType.ListRules) return false;
                    try { rules.Add(AuditRule.FromRuleData(m.Payload)); }
                    catch (FormatException e) { bad ??= e; }
                    return false;
                });
        }
        if (_wakePolicy.InWindow(Environment.TickCount64)) WakeBacklogWaiters();
        if (bad is not null) throw new FormatException($"The kernel listed a rule that could not be decoded: {bad.Message}", bad);
        return rules;
    }

    internal static byte[] StatusPayload(AuditStatus status)
    {
        var payload = new byte[AuditStatus.Size];
        status.Write(payload);
        return payload;
    }

    /// <summary>
    /// A request answered by an ack. Settings and rule requests are penalized like status queries, so inside the wake
    /// window (<see cref="GetStatus"/>) they are followed by a wake message too; the wake message itself is not.
    /// </summary>
    private void Request(ushort type, byte[] payload)
    {
        lock (_gate)
        {
            NetlinkExchange.Run(_socket, _buffer, type, wantAck: true, payload, TimeoutMs, onReply: null);
        }
        if (type != AuditMessageType.User && _wakePolicy.InWindow(Environment.TickCount64)) WakeBacklogWaiters();
    }

    public void Dispose() => _socket.Dispose();
}
