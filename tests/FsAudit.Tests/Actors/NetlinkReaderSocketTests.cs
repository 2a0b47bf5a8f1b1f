using System.Buffers.Binary;
using System.Text;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Netlink;
using FsAudit.Engine.Records;
using Tmds.Linux;
using Xunit;
using static Tmds.Linux.LibC;

namespace FsAudit.Tests.Actors;

/// <summary>
/// The daemon reader over a real NETLINK_AUDIT socket, fed by a second user-space netlink socket that
/// sends record datagrams to its port id (user-to-user unicast: the kernel's audit state is not touched).
/// Exercises the batched receive (recvmmsg): packing, the kernel's nlmsg_len quirk, oversized datagrams.
/// </summary>
public sealed unsafe class NetlinkReaderSocketTests
{
    private static void SendTo(int fd, uint port, ushort type, string payload, bool kernelLengthQuirk)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        var message = new byte[16 + bytes.Length];
        // Kernel unicast records carry nlmsg_len = payload length; others the full length.
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)(kernelLengthQuirk ? bytes.Length : message.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        bytes.CopyTo(message, 16);
        var addr = new SockaddrNlForTest { Family = (ushort)AF_NETLINK, Pid = port };
        fixed (byte* p = message)
            Assert.True(sendto(fd, p, message.Length, 0, (sockaddr*)&addr, (uint)sizeof(SockaddrNlForTest)) == message.Length, $"sendto errno {errno}");
    }

    /// <summary>The socket under test (8 MiB receive buffer) and a second one whose raw descriptor sends to it with sendto.</summary>
    private sealed class SocketPair : IDisposable
    {
        public AuditNetlinkSocket Target { get; } = new();
        private readonly AuditNetlinkSocket _sender = new();

        public SocketPair() => Target.SetReceiveBuffer(8 << 20);

        public int SenderFd =>
            (int)typeof(AuditNetlinkSocket).GetField("_fd", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(_sender)!;

        public void Dispose()
        {
            _sender.Dispose();
            Target.Dispose();
        }
    }

    private struct SockaddrNlForTest
    {
        public ushort Family;
        public ushort Pad;
        public uint Pid;
        public uint Groups;
    }

    [Fact]
    public void Many_ready_datagrams_are_read_in_order_in_one_call_and_an_oversized_one_is_counted_not_passed_on()
    {
        using var pair = new SocketPair();
        var (target, fd) = (pair.Target, pair.SenderFd);

        const int count = 300; // more than one recvmmsg call (64 datagrams) and serials of varying width
        for (int i = 0; i < count; i++)
        {
            if (i == 150) SendTo(fd, target.PortId, 1302, "audit(1700000000.001:9): name=\"" + new string('x', AuditNetlinkSocket.DatagramReserve + 100) + "\"", true);
            SendTo(fd, target.PortId, (ushort)(i % 2 == 0 ? 1300 : 1302), $"audit(1700000000.{i % 1000:D3}:{i + 1}): item={i} name=\"/tmp/f{i}\"", kernelLengthQuirk: i % 3 != 0);
        }

        using var reader = new NetlinkRecordReader(target, 1 << 20, ownsSocket: false);
        var records = new List<AuditRecord>();
        for (int tries = 0; records.Count < count && tries < 20; tries++) reader.Read(records, 100);

        Assert.Equal(Enumerable.Range(1, count).Select(i => (uint)i), records.Select(r => r.Serial));
        Assert.All(records, r => Assert.EndsWith($"name=\"/tmp/f{r.Serial - 1}\"", r.Text));
        Assert.True(target.BatchedReceive);
        Assert.Equal(1, target.TruncatedDatagrams);
        Assert.Equal(count, target.DatagramsReceived);
        Assert.Equal(0, reader.Counters.Unparsable);
        Assert.True(reader.Counters.Messages == count, $"messages {reader.Counters.Messages}");
    }

    [Fact]
    public void A_read_says_whether_it_filled_the_buffer_so_the_reader_thread_reads_again_at_once()
    {
        using var pair = new SocketPair();
        var (target, fd) = (pair.Target, pair.SenderFd);
        // ~200 bytes a datagram: 2,000 of them are ~400 KB, more than half of a 64 KiB buffer many times over.
        for (int i = 0; i < 2_000; i++)
            SendTo(fd, target.PortId, 1302, $"audit(1700000000.001:{i + 1}): item=0 name=\"/tmp/{new string('f', 150)}\"", kernelLengthQuirk: true);

        using var reader = new NetlinkRecordReader(target, 64 * 1024, ownsSocket: false);
        var records = new List<AuditRecord>();
        reader.Read(records, 100);
        Assert.True(reader.FilledLastRead, $"a read of {records.Count} records from a full socket");
        while (records.Count < 2_000 && reader.Read(records, 100) > 0) { }
        Assert.Equal(2_000, records.Count);
        reader.Read(records, 10); // the socket is empty now
        Assert.False(reader.FilledLastRead);
    }
}
