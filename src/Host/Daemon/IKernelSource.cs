using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Daemon;

/// <summary>
/// Where records come from, per <c>fsaudit.kernel.mode</c>, and what stopping means there: as the
/// registered daemon (<see cref="DaemonKernelSource"/>) or beside another one (<see cref="MulticastKernelSource"/>).
/// </summary>
public interface IKernelSource : IDisposable
{
    /// <summary>A start-up line for the log.</summary>
    string Describe();

    /// <summary>The reader the pipeline owns from now on.</summary>
    IRecordReader CreateReader();

    /// <summary>The registration watchdog's control, when there is a registration to watch.</summary>
    IRegistrationControl? Registration { get; }

    /// <summary>The kernel's status now (thread-safe).</summary>
    AuditStatus QueryStatus();

    IReadOnlyList<AuditRule> QueryRules();

    /// <summary><c>lost</c> when the daemon started, for "lost since start".</summary>
    uint LostAtStart { get; }

    /// <summary>Records the kernel dropped for us and did not count in <c>lost</c> (multicast ENOBUFS).</summary>
    long DroppedForUs { get; }

    /// <summary>Wake messages our status queries sent after finding the kernel backlog over its limit.</summary>
    BacklogWakeCounts BacklogWakes { get; }

    /// <summary>Once the reader drains the socket: events are produced for us (our rules go in).</summary>
    void StartProducing();

    /// <summary>First step of stopping: no new events are produced for us (our rules go).</summary>
    void StopProducing();

    /// <summary>After the socket is drained: stop being sent records (unregister).</summary>
    void Detach();
}

/// <summary>The registered audit daemon: rules, settings and registration through a <see cref="KernelSession"/>.</summary>
public sealed class DaemonKernelSource(KernelSession session, IReadOnlyList<AuditRule> rules) : IKernelSource
{
    public string Describe() =>
        $"registered as audit daemon pid={session.OwnPid} rules={rules.Count} " +
        $"receive_buffer={session.Connection!.ReceiveBufferBytes} lost_at_start={session.Found.Lost}";

    public IRecordReader CreateReader() => new NetlinkRecordReader(session.Connection!);
    public IRegistrationControl? Registration { get; } = new RegistrationControl(session);
    public AuditStatus QueryStatus() => session.QueryStatus();
    public IReadOnlyList<AuditRule> QueryRules() => session.QueryRules();
    public uint LostAtStart => session.Found.Lost;
    public long DroppedForUs => session.Connection?.Socket.ReceiveOverruns ?? 0;
    public BacklogWakeCounts BacklogWakes => session.BacklogWakes;
    public void StartProducing() => session.AddRules(rules);
    public void StopProducing() => session.RemoveRules();
    public void Detach() => session.Unregister();
    public void Dispose() => session.Dispose();
}

/// <summary>
/// Coexistence: a copy of every record from the kernel's read-only log group while another daemon
/// (auditd) stays registered and owns the rules. Nothing in the kernel is changed.
/// </summary>
public sealed class MulticastKernelSource : IKernelSource
{
    private readonly AuditMulticastConnection _connection;
    private readonly AuditControl _control = new();
    private readonly Lock _gate = new();

    public MulticastKernelSource(int receiveBuffer)
    {
        try
        {
            _connection = new AuditMulticastConnection(receiveBuffer);
            LostAtStart = _control.GetStatus().Lost;
        }
        catch
        {
            _control.Dispose();
            throw;
        }
    }

    public string Describe() =>
        $"reading the kernel's audit log multicast group beside the registered daemon pid={QueryStatus().Pid} " +
        $"receive_buffer={_connection.ReceiveBufferBytes} (no rules installed, no settings changed)";

    public IRecordReader CreateReader() => new NetlinkRecordReader(_connection.Socket, ownsSocket: false);
    public IRegistrationControl? Registration => null;
    public uint LostAtStart { get; }
    public long DroppedForUs => _connection.ReceiveOverruns;
    public BacklogWakeCounts BacklogWakes => _control.WakeCounts;

    public AuditStatus QueryStatus()
    {
        lock (_gate) return _control.GetStatus();
    }

    public IReadOnlyList<AuditRule> QueryRules()
    {
        lock (_gate) return _control.ListRules();
    }

    public void StartProducing() { }
    public void StopProducing() { }
    public void Detach() { }

    public void Dispose()
    {
        _connection.Dispose();
        _control.Dispose();
    }
}
