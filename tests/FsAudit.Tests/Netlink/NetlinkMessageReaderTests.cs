using System.Buffers.Binary;
using System.Text;
using FsAudit.Engine.Netlink;
using Xunit;

namespace FsAudit.Tests.Netlink;

public sealed class NetlinkMessageReaderTests
{
    private static byte[] Message(ushort type, string payload, ushort flags = 0, uint seq = 0, uint port = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        var buffer = new byte[NetlinkAlign(16 + bytes.Length)];
        NetlinkMessageReader.Write(buffer, type, flags, seq, port, bytes);
        return buffer;
    }

    private static int NetlinkAlign(int n) => (n + 3) & ~3;

    private static List<(ushort Type, string Text, uint Seq)> ReadAll(ReadOnlySpan<byte> buffer, out bool malformed, out int malformedBytes)
    {
        var list = new List<(ushort, string, uint)>();
        var reader = new NetlinkMessageReader(buffer);
        while (reader.MoveNext())
            list.Add((reader.Current.Type, Encoding.UTF8.GetString(reader.Current.Text), reader.Current.Sequence));
        malformed = reader.Malformed;
        malformedBytes = reader.MalformedBytes;
        return list;
    }

    [Fact]
    public void Reads_consecutive_aligned_messages_with_header_fields()
    {
        // Payload lengths 1, 2, 3, 4 exercise every padding amount.
        var buffer = Message(1300, "a", seq: 7, port: 9).Concat(Message(1302, "bb")).Concat(Message(1307, "ccc"))
            .Concat(Message(1320, "dddd", flags: NetlinkFlags.Multi)).ToArray();
        var reader = new NetlinkMessageReader(buffer);
        Assert.True(reader.MoveNext());
        Assert.Equal(1300, reader.Current.Type);
        Assert.Equal(7u, reader.Current.Sequence);
        Assert.Equal(9u, reader.Current.PortId);
        Assert.Equal("a"u8.ToArray(), reader.Current.Payload.ToArray());

        var all = ReadAll(buffer, out bool malformed, out _);
        Assert.False(malformed);
        Assert.Equal(["a", "bb", "ccc", "dddd"], all.Select(m => m.Text));
        Assert.Equal(new ushort[] { 1300, 1302, 1307, 1320 }, all.Select(m => m.Type));
    }

    [Fact]
    public void Foreach_walks_the_same_messages()
    {
        var buffer = Message(1300, "x").Concat(Message(1320, "y")).ToArray();
        int count = 0;
        foreach (var m in new NetlinkMessageReader(buffer)) count += m.Payload.Length;
        Assert.Equal(2, count);
    }

    [Fact]
    public void Text_strips_trailing_nul_and_newline_but_payload_keeps_them()
    {
        var buffer = Message(1100, "msg='x'\n\0");
        var reader = new NetlinkMessageReader(buffer);
        Assert.True(reader.MoveNext());
        Assert.Equal("msg='x'", Encoding.UTF8.GetString(reader.Current.Text));
        Assert.Equal(9, reader.Current.Payload.Length);
    }

    [Fact]
    public void Truncated_message_stops_the_walk_and_is_counted()
    {
        var good = Message(1300, "first record");
        var second = Message(1302, "second record");
        var buffer = good.Concat(second.AsSpan(0, second.Length - 5).ToArray()).ToArray();
        var all = ReadAll(buffer, out bool malformed, out int bytes);
        Assert.Equal(["first record"], all.Select(m => m.Text));
        Assert.True(malformed);
        Assert.Equal(second.Length - 5, bytes);
    }

    [Theory]
    [InlineData(0u)]          // nlmsg_len below the header size
    [InlineData(15u)]
    [InlineData(0xFFFFFFF0u)] // larger than the buffer
    public void Bad_length_is_malformed_not_an_exception(uint length)
    {
        var buffer = Message(1300, "payload");
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, length);
        var all = ReadAll(buffer, out bool malformed, out int bytes);
        Assert.Empty(all);
        Assert.True(malformed);
        Assert.Equal(buffer.Length, bytes);
    }

    [Fact]
    public void Short_tail_of_zeros_is_padding_but_garbage_tail_is_malformed()
    {
        var message = Message(1300, "x");
        ReadAll(message.Concat(new byte[8]).ToArray(), out bool zerosMalformed, out _);
        Assert.False(zerosMalformed);
        var all = ReadAll(message.Concat(new byte[] { 1, 2, 3 }).ToArray(), out bool garbageMalformed, out int bytes);
        Assert.Single(all);
        Assert.True(garbageMalformed);
        Assert.Equal(3, bytes);
    }

    [Fact]
    public void Random_garbage_never_throws_and_never_reads_past_the_buffer()
    {
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            var buffer = new byte[random.Next(0, 200)];
            random.NextBytes(buffer);
            if (buffer.Length >= 4 && i % 2 == 0) BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)random.Next(0, buffer.Length + 8));
            var reader = new NetlinkMessageReader(buffer);
            int payloadBytes = 0;
            while (reader.MoveNext()) payloadBytes += reader.Current.Payload.Length + 16;
            Assert.True(payloadBytes + reader.MalformedBytes <= buffer.Length);
        }
    }

    [Fact]
    public void Error_message_exposes_negative_errno()
    {
        var payload = new byte[20];
        BinaryPrimitives.WriteInt32LittleEndian(payload, -17);
        var buffer = new byte[36];
        NetlinkMessageReader.Write(buffer, AuditMessageType.NlmsgError, 0, 5, 0, payload);
        var reader = new NetlinkMessageReader(buffer);
        Assert.True(reader.MoveNext());
        Assert.True(reader.Current.IsError);
        Assert.False(reader.Current.IsRecord);
        Assert.Equal(-17, reader.Current.ErrorCode);
    }

    [Fact]
    public void Kernel_record_length_quirk_is_corrected_only_for_records()
    {
        // Unicast audit records carry nlmsg_len = payload length (without the 16-byte header).
        var record = Message(1300, "audit(1.2:3): x=1");
        int datagram = 16 + "audit(1.2:3): x=1".Length;
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(datagram - 16));
        AuditNetlinkSocket.FixRecordLength(record.AsSpan(0, datagram));
        Assert.Equal((uint)datagram, BinaryPrimitives.ReadUInt32LittleEndian(record));
        Assert.Equal(["audit(1.2:3): x=1"], ReadAll(record, out _, out _).Select(m => m.Text));

        // USER (1005) and LOGIN (1006) are records too, below 1100: left uncorrected, a datagram's last 16 bytes read
        // as a header and the rest of the buffer was skipped as malformed.
        foreach (ushort type in new ushort[] { AuditMessageType.User, AuditMessageType.Login })
        {
            var low = Message(type, "audit(1.2:4): pid=1 uid=0 old-auid=4294967295 auid=0 res=1");
            int lowDatagram = 16 + "audit(1.2:4): pid=1 uid=0 old-auid=4294967295 auid=0 res=1".Length;
            BinaryPrimitives.WriteUInt32LittleEndian(low, (uint)(lowDatagram - 16));
            AuditNetlinkSocket.FixRecordLength(low.AsSpan(0, lowDatagram));
            var read = ReadAll(low, out bool malformed, out _);
            Assert.False(malformed);
            Assert.Equal(type, Assert.Single(read).Type);
            Assert.True(AuditMessageType.IsRecord(type));
        }

        // Control replies are framed correctly by the kernel and must be left alone.
        var reply = Message(AuditMessageType.Get, new string('s', 44));
        uint before = BinaryPrimitives.ReadUInt32LittleEndian(reply);
        AuditNetlinkSocket.FixRecordLength(reply.AsSpan(0, 60));
        Assert.Equal(before, BinaryPrimitives.ReadUInt32LittleEndian(reply));
    }
}
