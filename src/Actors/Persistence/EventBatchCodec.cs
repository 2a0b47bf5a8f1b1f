using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// The journal's payload: one journal event holds a whole batch of audit events as their raw records (what
/// <see cref="EventBuilder.Build"/> needs to rebuild each event exactly), in a compact versioned binary layout
/// we own — no reflection-based serializer, no type names, stable across renames.
/// </summary>
/// <remarks>
/// Layout (little-endian): header = version:u8, flags:u8, firstOffset:i64, count:i32, minTs:i64, maxTs:i64;
/// then per event: flags:u8 (bit0 incomplete), records:varint; per record: type:u16, serial:u32,
/// timestamp:zigzag varint (delta to the previous record), fieldsStart:varint, flags:u8 (bit0 node, bit1 enriched),
/// text:string, [node:string], [enriched:string]; string = byte length varint + UTF-8.
/// With flags bit0 set, the events part is zlib-compressed and preceded by its uncompressed length (u32): audit text
/// is repetitive (keys, paths, hex proctitles), so this costs little CPU and saves most of the disk.
/// </remarks>
public static class EventBatchCodec
{
    public const byte Version = 1;
    public const int HeaderSize = 30;
    private const int FirstOffsetAt = 2;

    private const byte Compressed = 1;

    /// <summary>Encodes <paramref name="events"/> with a provisional first offset (see <see cref="SetFirstOffset"/>).</summary>
    public static byte[] Encode(IReadOnlyList<AuditEvent> events, long firstOffset = 0, bool compress = true)
    {
        var w = new ArrayBufferWriter<byte>(HeaderSize + events.Count * 512);
        w.GetSpan(HeaderSize);
        long minTs = long.MaxValue, maxTs = long.MinValue;
        w.Advance(HeaderSize);
        long prevTs = 0;
        foreach (var e in events)
        {
            var records = e.Records;
            var span = w.GetSpan(6);
            span[0] = (byte)(e.Incomplete ? 1 : 0);
            w.Advance(1);
            WriteVarint(w, (ulong)records.Count);
            if (e.TimestampMs < minTs) minTs = e.TimestampMs;
            if (e.TimestampMs > maxTs) maxTs = e.TimestampMs;
            for (int i = 0; i < records.Count; i++)
            {
                var r = records[i];
                span = w.GetSpan(6);
                BinaryPrimitives.WriteUInt16LittleEndian(span, r.Type);
                BinaryPrimitives.WriteUInt32LittleEndian(span[2..], r.Serial);
                w.Advance(6);
                long delta = r.TimestampMs - prevTs;
                prevTs = r.TimestampMs;
                WriteVarint(w, (ulong)((delta << 1) ^ (delta >> 63)));
                WriteVarint(w, (ulong)r.FieldsStart);
                byte flags = (byte)((r.Node != null ? 1 : 0) | (r.Enriched != null ? 2 : 0));
                w.GetSpan(1)[0] = flags;
                w.Advance(1);
                WriteString(w, r.Text);
                if (r.Node != null) WriteString(w, r.Node);
                if (r.Enriched != null) WriteString(w, r.Enriched);
            }
        }
        var bytes = compress ? Compress(w.WrittenSpan) : w.WrittenSpan.ToArray();
        var h = bytes.AsSpan(0, HeaderSize);
        h[0] = Version;
        h[1] = compress ? Compressed : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(h[FirstOffsetAt..], firstOffset);
        BinaryPrimitives.WriteInt32LittleEndian(h[10..], events.Count);
        BinaryPrimitives.WriteInt64LittleEndian(h[14..], events.Count == 0 ? 0 : minTs);
        BinaryPrimitives.WriteInt64LittleEndian(h[22..], events.Count == 0 ? 0 : maxTs);
        return bytes;
    }

    /// <summary>The journal assigns offsets when it writes: patches the header of an encoded batch in place.</summary>
    public static void SetFirstOffset(byte[] payload, long firstOffset)
    {
        CheckHeader(payload);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(FirstOffsetAt), firstOffset);
    }

    /// <summary>Reads only the header (cheap: seeks and recovery use it).</summary>
    public static BatchHeader ReadHeader(ReadOnlySpan<byte> payload)
    {
        CheckHeader(payload);
        return new BatchHeader(
            BinaryPrimitives.ReadInt64LittleEndian(payload[FirstOffsetAt..]),
            BinaryPrimitives.ReadInt32LittleEndian(payload[10..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[14..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[22..]));
    }

    /// <summary>Decodes every event's records. Throws <see cref="JournalFormatException"/> on a damaged payload.</summary>
    public static StoredBatch Decode(ReadOnlySpan<byte> payload)
    {
        var header = ReadHeader(payload);
        if ((payload[1] & Compressed) != 0) payload = Decompress(payload);
        if (header.Count < 0 || header.Count > (payload.Length - HeaderSize) / 2)
            throw new JournalFormatException($"event count {header.Count} does not fit a batch of {payload.Length} bytes");
        var events = new StoredEvent[header.Count];
        int at = HeaderSize;
        long prevTs = 0;
        try
        {
            for (int n = 0; n < events.Length; n++)
            {
                bool incomplete = (payload[at++] & 1) != 0;
                int count = checked((int)ReadVarint(payload, ref at));
                if (count > payload.Length - at) throw new JournalFormatException($"record count {count} exceeds the payload");
                var records = new AuditRecord[count];
                for (int i = 0; i < count; i++)
                {
                    ushort type = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
                    uint serial = BinaryPrimitives.ReadUInt32LittleEndian(payload[(at + 2)..]);
                    at += 6;
                    ulong zz = ReadVarint(payload, ref at);
                    long ts = prevTs + ((long)(zz >> 1) ^ -(long)(zz & 1));
                    prevTs = ts;
                    int fieldsStart = checked((int)ReadVarint(payload, ref at));
                    byte flags = payload[at++];
                    string text = ReadString(payload, ref at);
                    string? node = (flags & 1) != 0 ? ReadString(payload, ref at) : null;
                    string? enriched = (flags & 2) != 0 ? ReadString(payload, ref at) : null;
                    if (fieldsStart > text.Length) throw new JournalFormatException($"fields start {fieldsStart} beyond a record of {text.Length} characters");
                    records[i] = new AuditRecord(type, ts, serial, text, fieldsStart, node) { Enriched = enriched };
                }
                events[n] = new StoredEvent(header.FirstOffset + n, records, incomplete);
            }
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            throw new JournalFormatException($"truncated or damaged batch at byte {at}: {e.Message}");
        }
        if (at != payload.Length) throw new JournalFormatException($"{payload.Length - at} unexpected bytes after the last event");
        return new StoredBatch(header, events);
    }

    private static byte[] Compress(ReadOnlySpan<byte> plain)
    {
        var output = new MemoryStream(HeaderSize + 4 + plain.Length / 4);
        output.Write(plain[..HeaderSize]);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, plain.Length - HeaderSize);
        output.Write(len);
        using (var z = new System.IO.Compression.ZLibStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            z.Write(plain[HeaderSize..]);
        return output.ToArray();
    }

    /// <summary>The payload with its events part inflated (header copied, compressed flag kept).</summary>
    private static byte[] Decompress(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize + 4) throw new JournalFormatException("compressed batch without its length");
        int length = BinaryPrimitives.ReadInt32LittleEndian(payload[HeaderSize..]);
        if (length < 0 || length > 1 << 30) throw new JournalFormatException($"compressed batch claims {length} bytes");
        var plain = new byte[HeaderSize + length];
        payload[..HeaderSize].CopyTo(plain);
        try
        {
            using var z = new System.IO.Compression.ZLibStream(new MemoryStream(payload[(HeaderSize + 4)..].ToArray()), System.IO.Compression.CompressionMode.Decompress);
            int at = HeaderSize;
            while (at < plain.Length)
            {
                int n = z.Read(plain, at, plain.Length - at);
                if (n == 0) throw new JournalFormatException($"compressed batch ends after {at - HeaderSize} of {length} bytes");
                at += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new JournalFormatException($"compressed batch is damaged: {e.Message}");
        }
        return plain;
    }

    private static void CheckHeader(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize) throw new JournalFormatException($"batch of {payload.Length} bytes is shorter than its header");
        if (payload[0] != Version) throw new JournalFormatException($"unknown batch format version {payload[0]} (this build reads {Version})");
    }

    private static void WriteVarint(ArrayBufferWriter<byte> w, ulong v)
    {
        var span = w.GetSpan(10);
        int i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[i++] = (byte)v;
        w.Advance(i);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> s, ref int at)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = s[at++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw new JournalFormatException("varint longer than 10 bytes");
    }

    private static void WriteString(ArrayBufferWriter<byte> w, string s)
    {
        int len = Encoding.UTF8.GetByteCount(s);
        WriteVarint(w, (ulong)len);
        var dest = w.GetSpan(len);
        Encoding.UTF8.GetBytes(s, dest);
        w.Advance(len);
    }

    private static string ReadString(ReadOnlySpan<byte> s, ref int at)
    {
        int len = checked((int)ReadVarint(s, ref at));
        var str = Encoding.UTF8.GetString(s.Slice(at, len));
        at += len;
        return str;
    }
}

/// <param name="FirstOffset">Offset of the first event; the others follow without gaps.</param>
/// <param name="MinTimestampMs">Earliest event time in the batch (events are nearly, not strictly, time-ordered).</param>
public readonly record struct BatchHeader(long FirstOffset, int Count, long MinTimestampMs, long MaxTimestampMs)
{
    /// <summary>Offset of the last event (FirstOffset - 1 for an empty batch).</summary>
    public long LastOffset => FirstOffset + Count - 1;
}

/// <summary>One stored event: its offset and what is needed to rebuild it.</summary>
public sealed record StoredEvent(long Offset, IReadOnlyList<AuditRecord> Records, bool Incomplete)
{
    /// <summary>Rebuilds the event exactly as the pipeline built it.</summary>
    public AuditEvent Build() => EventBuilder.Build(Records, Incomplete);
}

public sealed record StoredBatch(BatchHeader Header, IReadOnlyList<StoredEvent> Events);

/// <summary>A journal payload this build cannot read (damaged, or written by an unknown version).</summary>
public sealed class JournalFormatException(string message) : Exception(message);
