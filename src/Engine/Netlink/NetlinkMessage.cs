using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FsAudit.Engine.Netlink;

/// <summary>One netlink message inside a received buffer; the payload is a view, never a copy.</summary>
public readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, ushort flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    public ushort Type { get; }
    public ushort Flags { get; }
    public uint Sequence { get; }
    public uint PortId { get; }
    public ReadOnlySpan<byte> Payload { get; }

    public bool IsError => Type == AuditMessageType.NlmsgError;

    /// <summary>True for audit records (<see cref="AuditMessageType.IsRecord"/>), as opposed to control replies and netlink messages.</summary>
    public bool IsRecord => AuditMessageType.IsRecord(Type);

    /// <summary>For NLMSG_ERROR: the (negative) errno, 0 for a plain ack; int.MinValue when the payload is too short.</summary>
    public int ErrorCode => Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(Payload) : int.MinValue;

    /// <summary>
    /// The payload without trailing NUL and newline bytes: record text as auditd would log it
    /// (the kernel does not NUL-terminate records, user-space senders often do).
    /// </summary>
    public ReadOnlySpan<byte> Text
    {
        get
        {
            var p = Payload;
            int end = p.Length;
            while (end > 0 && (p[end - 1] == 0 || p[end - 1] == (byte)'\n')) end--;
            return p[..end];
        }
    }
}

/// <summary>
/// Walks the netlink messages of a received buffer (NLMSG_ALIGN-aware). Never throws: a truncated
/// or garbage tail stops the walk and is reported through <see cref="Malformed"/> / <see cref="MalformedBytes"/>.
/// Use <c>while (reader.MoveNext())</c> to keep access to those counters; <c>foreach</c> works on a copy.
/// </summary>
public ref struct NetlinkMessageReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _offset;
    private NetlinkMessage _current;

    public NetlinkMessageReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _offset = 0;
        _current = default;
        Malformed = false;
        MalformedBytes = 0;
        Count = 0;
    }

    /// <summary>True when the walk stopped on bytes that are not a valid message.</summary>
    public bool Malformed { get; private set; }

    /// <summary>How many bytes were skipped as malformed.</summary>
    public int MalformedBytes { get; private set; }

    /// <summary>Messages yielded so far.</summary>
    public int Count { get; private set; }

    public readonly NetlinkMessage Current => _current;

    public readonly NetlinkMessageReader GetEnumerator() => this;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        int remaining = _buffer.Length - _offset;
        if (remaining <= 0) return false;
        if (remaining < NetlinkProtocol.HeaderLength)
        {
            // Alignment padding at the end of a buffer is zeros; anything else is a cut-off header.
            if (_buffer[_offset..].ContainsAnyExcept((byte)0)) Fail(remaining);
            else _offset = _buffer.Length;
            return false;
        }

        var header = _buffer.Slice(_offset, NetlinkProtocol.HeaderLength);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length < NetlinkProtocol.HeaderLength || length > (uint)remaining)
        {
            Fail(remaining);
            return false;
        }

        _current = new NetlinkMessage(
            BinaryPrimitives.ReadUInt16LittleEndian(header[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(header[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(header[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(header[12..]),
            _buffer.Slice(_offset + NetlinkProtocol.HeaderLength, (int)length - NetlinkProtocol.HeaderLength));
        _offset = Math.Min(_buffer.Length, _offset + NetlinkProtocol.Align((int)length));
        Count++;
        return true;
    }

    private void Fail(int remaining)
    {
        Malformed = true;
        MalformedBytes += remaining;
        _offset = _buffer.Length;
    }

    /// <summary>Writes a message header plus payload at the start of <paramref name="destination"/>; returns the aligned length.</summary>
    public static int Write(Span<byte> destination, ushort type, ushort flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        int length = NetlinkProtocol.HeaderLength + payload.Length;
        int aligned = NetlinkProtocol.Align(length);
        if (destination.Length < aligned) throw new ArgumentException("Destination too small for the message.", nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], portId);
        payload.CopyTo(destination[NetlinkProtocol.HeaderLength..]);
        destination[length..aligned].Clear();
        return aligned;
    }
}
