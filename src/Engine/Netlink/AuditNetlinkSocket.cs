using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FsAudit.Engine.Kernel;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace FsAudit.Engine.Netlink;

/// <summary>struct sockaddr_nl (linux/netlink.h), missing from Tmds.LibC.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockaddrNl
{
    public ushort Family;
    public ushort Pad;
    public uint Pid;
    public uint Groups;
}

/// <summary>struct iovec.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct msghdr (glibc, 64-bit): natural alignment gives the kernel's layout.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct mmsghdr: a msghdr and the bytes received into it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}

/// <summary>A failed socket syscall on the audit netlink socket.</summary>
public sealed class NetlinkSocketException : IOException
{
    public NetlinkSocketException(string operation, int errno)
        : base($"{operation} failed: {Kernel.Errno.Name(errno) ?? "errno " + errno} ({Marshal.GetPInvokeErrorMessage(errno)})")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }
    public int Errno { get; }
}

/// <summary>
/// A NETLINK_AUDIT socket: sends requests with increasing sequence numbers and receives many
/// netlink messages per call into a caller-owned buffer without allocating.
/// </summary>
public sealed unsafe class AuditNetlinkSocket : IDisposable
{
    /// <summary>
    /// Space kept free before receiving one more datagram in the same call. Kernel audit records stay
    /// well below this (EXECVE arguments are split at 7.5 KB, paths are at most 4096 bytes hex-encoded);
    /// a larger datagram that does not fit is detected through MSG_TRUNC and counted, not passed on cut.
    /// </summary>
    public const int DatagramReserve = 16 * 1024;

    private const int MSG_TRUNC = 0x20;
    private const int ENOSYS = 38;

    /// <summary>Datagrams asked for per recvmmsg call (each gets a <see cref="DatagramReserve"/> slot of the buffer).</summary>
    internal const int MaxDatagramsPerCall = 64;

    private int _fd;
    private bool _noRecvmmsg;
    private uint _sequence;

    public AuditNetlinkSocket() : this(groups: 0)
    {
    }

    /// <param name="groups">Multicast groups to join at bind, as a mask (AUDIT_NLGRP_READLOG is 1 &lt;&lt; 0; needs CAP_AUDIT_READ).</param>
    public AuditNetlinkSocket(uint groups)
    {
        _fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NetlinkProtocol.NetlinkAudit);
        if (_fd < 0) throw new NetlinkSocketException("socket(AF_NETLINK, NETLINK_AUDIT)", errno);
        try
        {
            var addr = new SockaddrNl { Family = (ushort)AF_NETLINK, Groups = groups };
            if (bind(_fd, (sockaddr*)&addr, (uint)sizeof(SockaddrNl)) < 0)
            {
                int err = errno;
                throw new NetlinkSocketException(groups != 0 && err == EPERM ? "bind to a multicast group (needs CAP_AUDIT_READ)" : "bind", err);
            }
            uint len = (uint)sizeof(SockaddrNl);
            if (getsockname(_fd, (sockaddr*)&addr, (socklen_t*)&len) < 0)
                throw new NetlinkSocketException("getsockname", errno);
            PortId = addr.Pid;
        }
        catch
        {
            close(_fd);
            throw;
        }
    }

    /// <summary>The port id the kernel assigned at bind; the kernel addresses replies (and daemon records) to it.</summary>
    public uint PortId { get; }

    /// <summary>Times the kernel reported ENOBUFS: it dropped messages for us because the receive buffer was full.</summary>
    public long ReceiveOverruns { get; private set; }

    /// <summary>Datagrams larger than the space offered, dropped instead of being passed on cut.</summary>
    public long TruncatedDatagrams { get; private set; }

    /// <summary>Datagrams received since the socket was opened.</summary>
    public long DatagramsReceived { get; private set; }

    public bool IsDisposed => _fd < 0;

    /// <summary>False once recvmmsg proved unavailable (ENOSYS) and receiving fell back to one recv per datagram.</summary>
    internal bool BatchedReceive => !_noRecvmmsg;

    /// <summary>Sets SO_RCVBUF (via SO_RCVBUFFORCE when permitted, so rmem_max does not cap it); returns the effective size.</summary>
    public int SetReceiveBuffer(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        int fd = Fd;
        int value = bytes;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &value, sizeof(int)) < 0 &&
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, sizeof(int)) < 0)
            throw new NetlinkSocketException("setsockopt(SO_RCVBUF)", errno);
        int effective = 0;
        uint len = sizeof(int);
        if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &effective, (socklen_t*)&len) < 0)
            throw new NetlinkSocketException("getsockopt(SO_RCVBUF)", errno);
        return effective;
    }

    /// <summary>Sends one request to the kernel; returns its sequence number (never 0, which kernel records use).</summary>
    public uint Send(ushort type, ushort flags, ReadOnlySpan<byte> payload)
    {
        int fd = Fd;
        uint seq = ++_sequence;
        if (seq == 0) seq = _sequence = 1;

        int size = NetlinkProtocol.Align(NetlinkProtocol.HeaderLength + payload.Length);
        byte[]? rented = null;
        Span<byte> message = size <= 2048 ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            NetlinkMessageReader.Write(message, type, flags, seq, PortId, payload);
            var kernel = new SockaddrNl { Family = (ushort)AF_NETLINK };
            fixed (byte* p = message)
            {
                while (true)
                {
                    long sent = sendto(fd, p, size, 0, (sockaddr*)&kernel, (uint)sizeof(SockaddrNl));
                    if (sent >= 0) break;
                    int err = errno;
                    if (err != EINTR) throw new NetlinkSocketException($"sendto({AuditMessageType.Name(type)})", err);
                }
            }
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
        return seq;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1 = forever) for data, then drains every datagram that is
    /// ready into <paramref name="buffer"/>, each NLMSG_ALIGNed so <see cref="NetlinkMessageReader"/> can walk
    /// them. Returns the bytes written, 0 on timeout. ENOBUFS (kernel dropped for us) is counted in
    /// <see cref="ReceiveOverruns"/> and receiving continues. Kernel audit records carry nlmsg_len without
    /// the header (a historic kernel quirk); it is corrected here so every message frames normally.
    /// </summary>
    public int Receive(Span<byte> buffer, int timeoutMs)
    {
        int fd = Fd;
        if (buffer.Length < NetlinkProtocol.HeaderLength)
            throw new ArgumentException("Receive buffer is smaller than a netlink header.", nameof(buffer));
        long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;

        fixed (byte* start = buffer)
        {
            while (true)
            {
                int wait = timeoutMs < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
                var pfd = new pollfd { fd = fd, events = POLLIN };
                int ready = poll(&pfd, 1, wait);
                if (ready < 0)
                {
                    int err = errno;
                    if (err == EINTR) continue;
                    throw new NetlinkSocketException("poll", err);
                }
                if (ready == 0) return 0;

                int written = Drain(fd, start, buffer.Length);
                if (written > 0) return written;
                if (timeoutMs >= 0 && Environment.TickCount64 >= deadline) return 0;
            }
        }
    }

    /// <summary>
    /// Receives every ready datagram into <paramref name="start"/>, packed and NLMSG_ALIGNed. Uses recvmmsg
    /// (up to <see cref="MaxDatagramsPerCall"/> datagrams per system call: the kernel sends each audit record
    /// as its own datagram, so one recv per record made the syscall overhead a large part of the reader's
    /// cost), falling back to one recv per datagram where recvmmsg is unavailable.
    /// </summary>
    private int Drain(int fd, byte* start, int capacity)
    {
        if (_noRecvmmsg) return DrainSingly(fd, start, capacity, 0);
        int offset = 0;
        var iov = stackalloc IoVec[MaxDatagramsPerCall];
        var msgs = stackalloc MMsgHdr[MaxDatagramsPerCall];
        while (offset == 0 || capacity - offset >= DatagramReserve)
        {
            // Slots of DatagramReserve bytes each from `offset` (one slot of everything when less is left).
            int free = capacity - offset;
            int slots = Math.Clamp(free / DatagramReserve, 1, MaxDatagramsPerCall);
            int slotLength = slots == 1 ? free : DatagramReserve;
            for (int i = 0; i < slots; i++)
            {
                iov[i] = new IoVec { Base = start + offset + i * slotLength, Length = (nuint)slotLength };
                msgs[i] = new MMsgHdr { Header = new MsgHdr { Iov = &iov[i], IovLength = 1 } };
            }
            int got = recvmmsg(fd, msgs, (uint)slots, MSG_DONTWAIT | MSG_TRUNC, null);
            if (got < 0)
            {
                int err = Marshal.GetLastPInvokeError();
                if (err == EINTR) continue;
                if (err == ENOBUFS) { ReceiveOverruns++; continue; }
                if (err == EAGAIN) break;
                if (err == ENOSYS)
                {
                    _noRecvmmsg = true;
                    return DrainSingly(fd, start, capacity, offset);
                }
                throw new NetlinkSocketException("recvmmsg", err);
            }
            for (int i = 0; i < got; i++)
            {
                long n = msgs[i].Length;
                if (n > slotLength || (msgs[i].Header.Flags & MSG_TRUNC) != 0)
                {
                    TruncatedDatagrams++;
                    continue;
                }
                if (n == 0) continue;
                DatagramsReceived++;
                int length = (int)n;
                // Pack: every datagram moves down to the end of the previous one (never up: slots are >= aligned lengths).
                byte* from = (byte*)iov[i].Base;
                var datagram = new Span<byte>(start + offset, length);
                if (from != start + offset) new ReadOnlySpan<byte>(from, length).CopyTo(datagram);
                FixRecordLength(datagram);
                int aligned = Math.Min(capacity - offset, NetlinkProtocol.Align(length));
                new Span<byte>(start + offset + length, aligned - length).Clear();
                offset += aligned;
            }
            if (got < slots) break; // the socket had no more
        }
        return offset;
    }

    /// <summary>The recv-per-datagram drain (kernels or libcs without recvmmsg).</summary>
    private int DrainSingly(int fd, byte* start, int capacity, int offset)
    {
        while (offset == 0 || capacity - offset >= DatagramReserve)
        {
            int space = capacity - offset;
            long n = recv(fd, start + offset, space, MSG_DONTWAIT | MSG_TRUNC);
            if (n < 0)
            {
                int err = errno;
                if (err == EINTR) continue;
                if (err == ENOBUFS) { ReceiveOverruns++; continue; }
                if (err == EAGAIN) break;
                throw new NetlinkSocketException("recv", err);
            }
            if (n == 0) break;
            if (n > space)
            {
                TruncatedDatagrams++;
                continue;
            }
            DatagramsReceived++;
            int length = (int)n;
            var datagram = new Span<byte>(start + offset, length);
            FixRecordLength(datagram);
            int aligned = Math.Min(space, NetlinkProtocol.Align(length));
            new Span<byte>(start + offset + length, aligned - length).Clear();
            offset += aligned;
        }
        return offset;
    }

    /// <summary>Unicast audit records say nlmsg_len = payload length; make it include the header like every other message.</summary>
    internal static void FixRecordLength(Span<byte> datagram)
    {
        if (datagram.Length < NetlinkProtocol.HeaderLength) return;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
        if (AuditMessageType.IsRecord(type) && length + NetlinkProtocol.HeaderLength == (uint)datagram.Length)
            BinaryPrimitives.WriteUInt32LittleEndian(datagram, (uint)datagram.Length);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    private int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(AuditNetlinkSocket));

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) close(fd);
    }
}
