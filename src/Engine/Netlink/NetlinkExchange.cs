namespace FsAudit.Engine.Netlink;

/// <summary>Handles one reply message of a request; returns true when the reply is complete.</summary>
internal delegate bool ReplyHandler(in NetlinkMessage message);

/// <summary>Receives a message that does not belong to the pending request (records on a daemon socket).</summary>
internal delegate void UnrelatedHandler(in NetlinkMessage message);

/// <summary>Request → reply/ack matching by sequence number, shared by control and daemon sockets.</summary>
internal static class NetlinkExchange
{
    /// <summary>
    /// Sends a request and receives until it is answered: an ack when <paramref name="wantAck"/>, and the
    /// reply when <paramref name="onReply"/> is given. NLMSG_ERROR with an errno throws
    /// <see cref="AuditKernelException"/>; no answer within the timeout throws <see cref="AuditTimeoutException"/>.
    /// </summary>
    public static void Run(AuditNetlinkSocket socket, byte[] buffer, ushort type, bool wantAck, ReadOnlySpan<byte> payload,
        int timeoutMs, ReplyHandler? onReply, UnrelatedHandler? onUnrelated = null)
    {
        ushort flags = NetlinkFlags.Request;
        if (wantAck) flags |= NetlinkFlags.Ack;
        uint seq = socket.Send(type, flags, payload);
        bool acked = !wantAck;
        bool replied = onReply is null;
        long deadline = Environment.TickCount64 + timeoutMs;

        while (!(acked && replied))
        {
            int wait = (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = wait == 0 ? 0 : socket.Receive(buffer, wait);
            if (n == 0) throw new AuditTimeoutException(type, timeoutMs);

            var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
            while (reader.MoveNext())
            {
                var m = reader.Current;
                if (m.Sequence != seq || m.IsRecord)
                {
                    onUnrelated?.Invoke(in m);
                    continue;
                }
                if (m.IsError)
                {
                    int code = m.ErrorCode;
                    if (code != 0) throw new AuditKernelException(type, code == int.MinValue ? 71 /* EPROTO */ : code);
                    acked = true;
                }
                else if (onReply is not null && !replied)
                {
                    replied = onReply(in m);
                }
            }
        }
    }
}
