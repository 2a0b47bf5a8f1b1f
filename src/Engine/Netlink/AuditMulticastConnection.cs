namespace FsAudit.Engine.Netlink;

/// <summary>
/// Coexistence mode: a NETLINK_AUDIT socket in the kernel's read-only log multicast group
/// (AUDIT_NLGRP_READLOG, needs CAP_AUDIT_READ). It receives a copy of every record the kernel emits while
/// another audit daemon (auditd, journald's audit socket) stays registered; it does not register, install
/// rules or change settings. A multicast listener cannot slow the kernel down: when our receive buffer is
/// full the kernel drops the copy for us and the next receive fails with ENOBUFS, counted in
/// <see cref="ReceiveOverruns"/> (the kernel's <c>lost</c> counter does not move for these).
/// Records arrive with the same framing as the daemon's (<see cref="Receive"/> has the same contract as
/// <see cref="AuditNetlinkSocket.Receive"/>), so the same parser reads them.
/// </summary>
public sealed class AuditMulticastConnection : IDisposable
{
    /// <summary>AUDIT_NLGRP_READLOG (linux/audit.h): the group number; its bind mask is 1 &lt;&lt; (group - 1).</summary>
    public const int ReadLogGroup = 1;

    private readonly AuditNetlinkSocket _socket;

    /// <param name="receiveBufferBytes">SO_RCVBUF(FORCE): the burst absorbed while the reader is descheduled.</param>
    public AuditMulticastConnection(int receiveBufferBytes = 8 * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(receiveBufferBytes);
        _socket = new AuditNetlinkSocket(1u << (ReadLogGroup - 1));
        try
        {
            ReceiveBufferBytes = _socket.SetReceiveBuffer(receiveBufferBytes);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <summary>The socket, for a reader that parses what it receives (the pipeline's NetlinkRecordReader).</summary>
    public AuditNetlinkSocket Socket => _socket;

    public uint PortId => _socket.PortId;

    /// <summary>The effective receive buffer (the kernel doubles the request; without CAP_NET_ADMIN rmem_max caps it).</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>Times the kernel reported ENOBUFS: it dropped multicast records for us because our buffer was full.</summary>
    public long ReceiveOverruns => _socket.ReceiveOverruns;

    /// <summary>Datagrams larger than the space offered, dropped instead of being passed on cut.</summary>
    public long TruncatedDatagrams => _socket.TruncatedDatagrams;

    public long DatagramsReceived => _socket.DatagramsReceived;

    public bool IsDisposed => _socket.IsDisposed;

    /// <summary>Same contract as <see cref="AuditNetlinkSocket.Receive"/>: ENOBUFS is counted and receiving goes on.</summary>
    public int Receive(Span<byte> buffer, int timeoutMs) => _socket.Receive(buffer, timeoutMs);

    public void Dispose() => _socket.Dispose();
}
