using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Daemon;

/// <summary>
/// What the registration watchdog needs. Re-registering must come from the record socket (the kernel
/// sends to the port that registered) while the reader thread is reading it, so the request is sent
/// without asking for an ack; the watchdog's next status query confirms it.
/// </summary>
public sealed class RegistrationControl(KernelSession session) : IRegistrationControl
{
    public int ExpectedPid { get; } = Environment.ProcessId;

    public int QueryRegisteredPid()
    {
        return (int)session.QueryStatus().Pid;
    }

    public void Register()
    {
        Span<byte> payload = stackalloc byte[AuditStatus.Size];
        new AuditStatus { Mask = AuditStatusMask.Pid, Pid = (uint)ExpectedPid }.Write(payload);
        session.Connection!.Socket.Send(AuditMessageType.Set, NetlinkFlags.Request, payload);
    }
}
