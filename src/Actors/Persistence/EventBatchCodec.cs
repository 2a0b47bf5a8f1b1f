using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using ZstdSharp;

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
/// With flags bit0 (zlib) or bit1 (zstd) set, the events part is compressed and preceded by its uncompressed length
/// (u32): audit text is repetitive (keys, paths, hex proctitles), so this costs little CPU and saves most of the disk.
/// zstd is the default (a ~2.6x smaller payload than zlib). Its frames are protected by bit2: a CRC-32C (u32) of the
/// stored frame follows the length, so a flipped bit is caught before decoding, at the cost of checksumming ~30 bytes
/// per event instead of zstd's own content checksum over ~1.1 KB of text (flags 0x02 alone: written by earlier
/// builds with that checksum inside the frame, read as ever). zlib batches (its adler32 inside) are read and, with
/// <c>compression = zlib</c>, written as ever. Other flag combinations are refused, not ignored.
/// </remarks>
public static class EventBatchCodec
{
    public const byte Version = 1;
    public const int HeaderSize = 30;
    internal const int FirstOffsetAt = 2;

    /// <summary>Flags bit0: the events part is a zlib stream.</summary>
    internal const byte Zlib = 1;

    /// <summary>Flags bit1: the events part is one zstd frame.</summary>
    internal const byte Zstd = 2;

    /// <summary>Flags bit2 (with bit1): a CRC-32C of the zstd frame precedes it.</summary>
    internal const byte FrameCrc = 4;

    /// <summary>The zstd level a new <see cref="EventBatchEncoder"/> uses (see README: measured on PipelineBench's encode stage).</summary>
    public const int DefaultZstdLevel = -1;

    /// <summary>The zstd levels <see cref="EventBatchEncoder"/> accepts (negative levels are zstd's fast ones).</summary>
    public const int MinZstdLevel = -7, MaxZstdLevel = 19;

    // A decompression context per thread (catch-up threads decode in parallel): one allocates some hundred KB.
    [ThreadStatic] private static Decompressor? t_unzstd;

    /// <summary>
    /// Encodes <paramref name="events"/> with a provisional first offset (see <see cref="SetFirstOffset"/>).
    /// One-off use; a steady writer keeps an <see cref="EventBatchEncoder"/> so its buffers are reused.
    /// </summary>
    public static byte[] Encode(IReadOnlyList<AuditEvent> events, long firstOffset = 0,
        JournalCompression compression = JournalCompression.Zstd) =>
        new EventBatchEncoder().Encode(events, firstOffset, compression);

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
        byte flags = payload[1];
        if (flags is not (0 or Zlib or Zstd or Zstd | FrameCrc))
            throw new JournalFormatException($"unknown batch flags 0x{flags:x2} (this build reads none 0x00, zlib 0x01, zstd 0x02 and 0x06)");
        if (flags == 0) return DecodeEvents(header, payload);
        // Inflated batches are megabytes: a pooled buffer keeps catch-up reads from filling the large-object heap
        // with garbage that only a gen2 collection returns (it took a lagging daemon's heap to 280 MB). Nothing
        // decoded refers to the buffer: records copy their text out.
        int size = InflatedSize(payload);
        byte[] plain = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            return DecodeEvents(header, flags switch
            {
                Zlib => Inflate(payload, plain, size),
                Zstd => Unzstd(payload, HeaderSize + 4, plain, size),
                _ => Unzstd(CheckedFrame(payload), HeaderSize + 8, plain, size),
            });
        }
        finally { ArrayPool<byte>.Shared.Return(plain); }
    }

    private static StoredBatch DecodeEvents(BatchHeader header, ReadOnlySpan<byte> payload)
    {
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
                    byte[] text = ReadBytes(payload, ref at);
                    string? node = (flags & 1) != 0 ? ReadString(payload, ref at) : null;
                    string? enriched = (flags & 2) != 0 ? ReadString(payload, ref at) : null;
                    if (fieldsStart > text.Length) throw new JournalFormatException($"fields start {fieldsStart} beyond a record of {text.Length} bytes");
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

    private static int InflatedSize(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize + 4) throw new JournalFormatException("compressed batch without its length");
        int length = BinaryPrimitives.ReadInt32LittleEndian(payload[HeaderSize..]);
        if (length < 0 || length > 1 << 30) throw new JournalFormatException($"compressed batch claims {length} bytes");
        return HeaderSize + length;
    }

    /// <summary>
    /// The payload with its events part inflated into the first <paramref name="size"/> bytes (<see cref="InflatedSize"/>)
    /// of <paramref name="plain"/> (header copied, compressed flag kept).
    /// </summary>
    private static unsafe ReadOnlySpan<byte> Inflate(ReadOnlySpan<byte> payload, byte[] plain, int size)
    {
        payload[..HeaderSize].CopyTo(plain);
        var compressed = payload[(HeaderSize + 4)..];
        try
        {
            // GetReference, not the span itself: an empty span pins to null, which the stream refuses.
            fixed (byte* p = &System.Runtime.InteropServices.MemoryMarshal.GetReference(compressed))
            {
                using var input = new UnmanagedMemoryStream(p, compressed.Length);
                using var z = new ZLibStream(input, CompressionMode.Decompress);
                int at = HeaderSize;
                while (at < size)
                {
                    int n = z.Read(plain, at, size - at);
                    if (n == 0) throw new JournalFormatException($"compressed batch ends after {at - HeaderSize} of {size - HeaderSize} bytes");
                    at += n;
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new JournalFormatException($"compressed batch is damaged: {e.Message}");
        }
        return plain.AsSpan(0, size);
    }

    /// <summary>The payload, after checking the CRC-32C stored before its zstd frame.</summary>
    private static ReadOnlySpan<byte> CheckedFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize + 8) throw new JournalFormatException("compressed batch without its checksum");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(payload[(HeaderSize + 4)..]);
        uint actual = Crc32C.Of(payload[(HeaderSize + 8)..]);
        if (stored != actual)
            throw new JournalFormatException($"compressed batch is damaged: checksum {actual:x8}, stored {stored:x8}");
        return payload;
    }

    /// <summary>As <see cref="Inflate"/>, for a zstd events part starting at <paramref name="frameAt"/>.</summary>
    private static ReadOnlySpan<byte> Unzstd(ReadOnlySpan<byte> payload, int frameAt, byte[] plain, int size)
    {
        payload[..HeaderSize].CopyTo(plain);
        var d = t_unzstd ??= new Decompressor();
        int n;
        try { n = d.Unwrap(payload[frameAt..], plain.AsSpan(HeaderSize, size - HeaderSize)); }
        catch (ZstdException e)
        {
            throw new JournalFormatException($"compressed batch is damaged: zstd: {e.Message}");
        }
        if (n != size - HeaderSize)
            throw new JournalFormatException($"compressed batch holds {n} of {size - HeaderSize} bytes");
        return plain.AsSpan(0, size);
    }

    private static void CheckHeader(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize) throw new JournalFormatException($"batch of {payload.Length} bytes is shorter than its header");
        if (payload[0] != Version) throw new JournalFormatException($"unknown batch format version {payload[0]} (this build reads {Version})");
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

    private static byte[] ReadBytes(ReadOnlySpan<byte> s, ref int at)
    {
        int len = checked((int)ReadVarint(s, ref at));
        var bytes = s.Slice(at, len).ToArray();
        at += len;
        return bytes;
    }

    private static string ReadString(ReadOnlySpan<byte> s, ref int at)
    {
        int len = checked((int)ReadVarint(s, ref at));
        var str = Encoding.UTF8.GetString(s.Slice(at, len));
        at += len;
        return str;
    }
}

/// <summary>
/// Encodes batches in the <see cref="EventBatchCodec"/> layout, keeping its working buffers across batches: the only
/// per-batch allocation is the returned payload (its own array, since the journal keeps it). Batches of up to
/// <c>batch.max-bytes</c> would otherwise put several growing large-object-heap buffers per write on the GC.
/// Not thread-safe: one encoder per writing stream.
/// </summary>
public sealed class EventBatchEncoder
{
    private const int InitialCapacity = 64 * 1024;

    /// <summary>Buffers grown beyond this (by an unusually large batch) are not kept for the next batch.</summary>
    private const int RetainedCapacity = 16 << 20;

    private byte[] _plain = new byte[InitialCapacity];
    private int _at;
    private MemoryStream _deflated = new(InitialCapacity);
    private byte[] _packed = [];
    private readonly int _zstdLevel;

    // Made on the first zstd batch and kept: its context (tables, window) is reused by every later batch.
    // Released by its SafeHandle's finalizer when the encoder goes (streams have no close hook for it).
    private Compressor? _zstd;

    /// <param name="zstdLevel">zstd level for <see cref="JournalCompression.Zstd"/> batches (zlib is always its fastest).</param>
    public EventBatchEncoder(int zstdLevel = EventBatchCodec.DefaultZstdLevel)
    {
        if (zstdLevel is < EventBatchCodec.MinZstdLevel or > EventBatchCodec.MaxZstdLevel)
            throw new ArgumentOutOfRangeException(nameof(zstdLevel), zstdLevel,
                $"zstd level must be between {EventBatchCodec.MinZstdLevel} and {EventBatchCodec.MaxZstdLevel}");
        _zstdLevel = zstdLevel;
    }

    /// <summary>Encodes <paramref name="events"/> with a provisional first offset (see <see cref="EventBatchCodec.SetFirstOffset"/>).</summary>
    public byte[] Encode(IReadOnlyList<AuditEvent> events, long firstOffset = 0, JournalCompression compression = JournalCompression.Zstd)
    {
        _at = EventBatchCodec.HeaderSize;
        long minTs = long.MaxValue, maxTs = long.MinValue;
        long prevTs = 0;
        foreach (var e in events)
        {
            var records = e.Records;
            Ensure(11);
            _plain[_at++] = (byte)(e.Incomplete ? 1 : 0);
            WriteVarint((ulong)records.Count);
            if (e.TimestampMs < minTs) minTs = e.TimestampMs;
            if (e.TimestampMs > maxTs) maxTs = e.TimestampMs;
            for (int i = 0; i < records.Count; i++)
            {
                var r = records[i];
                Ensure(6 + 10 + 10 + 1);
                BinaryPrimitives.WriteUInt16LittleEndian(_plain.AsSpan(_at), r.Type);
                BinaryPrimitives.WriteUInt32LittleEndian(_plain.AsSpan(_at + 2), r.Serial);
                _at += 6;
                long delta = r.TimestampMs - prevTs;
                prevTs = r.TimestampMs;
                WriteVarint((ulong)((delta << 1) ^ (delta >> 63)));
                WriteVarint((ulong)r.FieldsStart);
                _plain[_at++] = (byte)((r.Node != null ? 1 : 0) | (r.Enriched != null ? 2 : 0));
                WriteBytes(r.Utf8);
                if (r.Node != null) WriteString(r.Node);
                if (r.Enriched != null) WriteString(r.Enriched);
            }
        }
        var (payload, flags) = compression switch
        {
            JournalCompression.Zstd => (Zstd(), (byte)(EventBatchCodec.Zstd | EventBatchCodec.FrameCrc)),
            JournalCompression.Zlib => (Deflate(), EventBatchCodec.Zlib),
            JournalCompression.None => (_plain.AsSpan(0, _at).ToArray(), (byte)0),
            _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, null),
        };
        var h = payload.AsSpan(0, EventBatchCodec.HeaderSize);
        h[0] = EventBatchCodec.Version;
        h[1] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(h[EventBatchCodec.FirstOffsetAt..], firstOffset);
        BinaryPrimitives.WriteInt32LittleEndian(h[10..], events.Count);
        BinaryPrimitives.WriteInt64LittleEndian(h[14..], events.Count == 0 ? 0 : minTs);
        BinaryPrimitives.WriteInt64LittleEndian(h[22..], events.Count == 0 ? 0 : maxTs);
        if (_plain.Length > RetainedCapacity) _plain = new byte[InitialCapacity];
        return payload;
    }

    /// <summary>Header space, uncompressed length (u32), then the zlib stream of the events part.</summary>
    private byte[] Deflate()
    {
        const int header = EventBatchCodec.HeaderSize;
        var output = _deflated;
        output.SetLength(0); // keeps the capacity
        Span<byte> prefix = stackalloc byte[header + 4];
        prefix.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(prefix[header..], _at - header);
        output.Write(prefix);
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(_plain, header, _at - header);
        var payload = output.GetBuffer().AsSpan(0, (int)output.Length).ToArray();
        if (output.Capacity > RetainedCapacity) _deflated = new MemoryStream(InitialCapacity);
        return payload;
    }

    /// <summary>
    /// Header space, uncompressed length (u32), CRC-32C of the frame (u32), then one zstd frame of the events part:
    /// compressed into a buffer kept across batches, then copied once into the exact-size payload. Without a checksum
    /// a flipped bit in literal text would decode into wrong audit text silently. zstd's own checksum reads the ~1.1 KB of
    /// text per event; the CRC reads only the ~30 stored bytes, every bit of the frame included.
    /// </summary>
    private byte[] Zstd()
    {
        const int header = EventBatchCodec.HeaderSize;
        int length = _at - header;
        int bound = header + 8 + Compressor.GetCompressBound(length);
        if (_packed.Length < bound) _packed = new byte[Math.Max(bound, InitialCapacity)];
        _zstd ??= new Compressor(_zstdLevel);
        int n = _zstd.Wrap(_plain.AsSpan(header, length), _packed.AsSpan(header + 8));
        var payload = new byte[header + 8 + n];
        var frame = payload.AsSpan(header + 8);
        _packed.AsSpan(header + 8, n).CopyTo(frame);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(header), length);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(header + 4), Crc32C.Of(frame));
        if (_packed.Length > RetainedCapacity) _packed = [];
        return payload;
    }

    private void Ensure(int bytes)
    {
        if (_plain.Length - _at >= bytes) return;
        long size = Math.Max((long)_plain.Length * 2, (long)_at + bytes);
        var bigger = new byte[Math.Min(size, Array.MaxLength)];
        _plain.AsSpan(0, _at).CopyTo(bigger);
        _plain = bigger;
    }

    private void WriteVarint(ulong v)
    {
        var span = _plain.AsSpan(_at);
        int i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[i++] = (byte)v;
        _at += i;
    }

    private static int VarintSize(int v) => v < 1 << 7 ? 1 : v < 1 << 14 ? 2 : v < 1 << 21 ? 3 : v < 1 << 28 ? 4 : 5;

    /// <summary>Length varint + the bytes (record text is kept as UTF-8 already).</summary>
    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(5 + bytes.Length);
        WriteVarint((ulong)bytes.Length);
        bytes.CopyTo(_plain.AsSpan(_at));
        _at += bytes.Length;
    }

    /// <summary>
    /// Length varint + UTF-8 in one pass: the bytes go where a length of <c>s.Length</c> bytes (exact for ASCII,
    /// which audit text nearly always is) puts them, and are moved only if the real length needs a longer varint.
    /// </summary>
    private void WriteString(string s)
    {
        int guess = VarintSize(s.Length);
        Ensure(5 + Encoding.UTF8.GetMaxByteCount(s.Length));
        int n = Encoding.UTF8.GetBytes(s, _plain.AsSpan(_at + guess));
        int size = VarintSize(n);
        if (size != guess) _plain.AsSpan(_at + guess, n).CopyTo(_plain.AsSpan(_at + size));
        WriteVarint((ulong)n);
        _at += n;
    }
}

/// <summary>How a journal write stores its events part (<c>fsaudit.journal.compression</c>).</summary>
public enum JournalCompression
{
    None,
    Zlib,
    Zstd,
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
