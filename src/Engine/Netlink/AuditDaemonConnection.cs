namespace FsAudit.Engine.Netlink;

/// <summary>
/// The record socket of an audit daemon. The kernel sends records to the port of the socket that sent
/// AUDIT_SET with the pid mask, so registration happens here. Records that arrive while a registration
/// request waits for its ack are kept (bounded) and handed out first by <see cref="Receive"/>.
/// </summary>
public sealed class AuditDaemonConnection : IDisposable
{
    /// <summary>Bytes of records kept while waiting for an ack; past it they are counted in <see cref="DroppedWhileWaiting"/>.</summary>
    public const int PendingCapacity = 4 * 1024 * 1024;

    private readonly AuditNetlinkSocket _socket;
    private readonly byte[] _exchangeBuffer = new byte[64 * 1024];
    private readonly byte[] _pending = new byte[PendingCapacity];
    private int _pendingStart, _pendingEnd;
    private readonly UnrelatedHandler _keep;

    public AuditDaemonConnection(int receiveBufferBytes = 8 * 1024 * 1024, int timeoutMs = 5000)
    {
        _socket = new AuditNetlinkSocket();
        try
        {
            ReceiveBufferBytes = _socket.SetReceiveBuffer(receiveBufferBytes);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        TimeoutMs = timeoutMs;
        _keep = Keep;
    }

    public AuditNetlinkSocket Socket => _socket;
    public int ReceiveBufferBytes { get; }
    public int TimeoutMs { get; set; }
    public bool IsRegistered { get; private set; }

    /// <summary>Records received during a registration exchange that did not fit the pending buffer.</summary>
    public long DroppedWhileWaiting { get; private set; }

    /// <summary>Registers this process, on this socket, as the audit daemon (AUDIT_SET pid).</summary>
    public void Register()
    {
        SendPid((uint)Environment.ProcessId);
        IsRegistered = true;
    }

    /// <summary>Unregisters (AUDIT_SET pid=0 from the daemon's own socket). Records still queued stay receivable.</summary>
    public void Unregister()
    {
        SendPid(0);
        IsRegistered = false;
    }

    private void SendPid(uint pid)
    {
        var payload = AuditControl.StatusPayload(new AuditStatus { Mask = AuditStatusMask.Pid, Pid = pid });
        NetlinkExchange.Run(_socket, _exchangeBuffer, AuditMessageType.Set, wantAck: true, payload, TimeoutMs, null, _keep);
    }

    private void Keep(in NetlinkMessage m)
    {
        if (!m.IsRecord) return; // stale replies of earlier requests
        int length = NetlinkProtocol.HeaderLength + m.Payload.Length;
        int aligned = NetlinkProtocol.Align(length);
        if (_pendingStart == _pendingEnd) _pendingStart = _pendingEnd = 0;
        if (_pending.Length - _pendingEnd < aligned)
        {
            DroppedWhileWaiting++;
            return;
        }
        NetlinkMessageReader.Write(_pending.AsSpan(_pendingEnd), m.Type, m.Flags, m.Sequence, m.PortId, m.Payload);
        _pendingEnd += aligned;
    }

    /// <summary>
    /// Receives records into <paramref name="buffer"/> (see <see cref="AuditNetlinkSocket.Receive"/>): first those kept
    /// during registration, then from the socket. Returns bytes written, 0 on timeout.
    /// </summary>
    public int Receive(Span<byte> buffer, int timeoutMs)
    {
        if (_pendingEnd > _pendingStart)
        {
            // Hand out whole messages only.
            var reader = new NetlinkMessageReader(_pending.AsSpan(_pendingStart, _pendingEnd - _pendingStart));
            int taken = 0;
            while (reader.MoveNext())
            {
                int size = NetlinkProtocol.Align(NetlinkProtocol.HeaderLength + reader.Current.Payload.Length);
                if (taken + size > buffer.Length) break;
                taken += size;
            }
            if (taken == 0) throw new ArgumentException("Receive buffer is smaller than a pending record.", nameof(buffer));
            _pending.AsSpan(_pendingStart, taken).CopyTo(buffer);
            _pendingStart += taken;
            return taken;
        }
        return _socket.Receive(buffer, timeoutMs);
    }

    /// <summary>Unregisters when still registered (best effort: the kernel also drops a daemon whose socket is gone), then closes.</summary>
    public void Dispose()
    {
        if (IsRegistered && !_socket.IsDisposed)
        {
            try { Unregister(); }
            catch (Exception e) when (e is AuditKernelException or AuditTimeoutException or NetlinkSocketException) { }
        }
        _socket.Dispose();
    }
}
