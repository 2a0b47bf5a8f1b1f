using System.Buffers.Binary;
using System.IO.Compression;
using FsAudit.Actors.Persistence;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Persistence;

public class EventBatchCodecTests
{
    [Theory]
    [InlineData(JournalCompression.Zstd)]
    [InlineData(JournalCompression.Zlib)]
    [InlineData(JournalCompression.None)]
    public void Round_trip_rebuilds_every_event_exactly(JournalCompression compress)
    {
        var events = SampleEvents.Range(0, 300);
        var payload = EventBatchCodec.Encode(events, compression: compress);
        Assert.Equal(compress switch { JournalCompression.Zstd => 6, JournalCompression.Zlib => 1, _ => 0 }, payload[1]);
        long text = events.Sum(e => e.Records.Sum(r => (long)r.Text.Length));
        if (compress != JournalCompression.None) Assert.True(payload.Length < text / 3, $"{payload.Length} bytes for {text} characters of record text");
        else Assert.True(payload.Length > text);
        EventBatchCodec.SetFirstOffset(payload, 5000);
        var batch = EventBatchCodec.Decode(payload);

        Assert.Equal(5000, batch.Header.FirstOffset);
        Assert.Equal(300, batch.Header.Count);
        Assert.Equal(events.Min(e => e.TimestampMs), batch.Header.MinTimestampMs);
        Assert.Equal(events.Max(e => e.TimestampMs), batch.Header.MaxTimestampMs);
        for (int i = 0; i < events.Count; i++)
        {
            var stored = batch.Events[i];
            Assert.Equal(5000 + i, stored.Offset);
            Assert.Equal(Json(events[i]), Json(stored.Build()));
            Assert.Equal(events[i].Incomplete, stored.Incomplete);
        }
        Assert.Contains(batch.Events, e => e.Incomplete);
    }

    [Fact]
    public void Keeps_node_enriched_non_ascii_and_time_going_backwards()
    {
        var a = new AuditRecord(1112, 2_000_000, 7, "audit(2000.000:7): msg='op=login acct=\"jürgen\" res=success'", 20, node: "host-ä") { Enriched = "AUID=\"root\"" };
        var b = new AuditRecord(1112, 1_000_000, 8, "audit(1000.000:8): msg='op=x res=failed'", 20);
        var events = new[] { EventBuilder.Build([a], false), EventBuilder.Build([b], true) };
        var decoded = EventBatchCodec.Decode(EventBatchCodec.Encode(events, 1));
        var r = decoded.Events[0].Records[0];
        Assert.Equal(a.Text, r.Text);
        Assert.Equal("host-ä", r.Node);
        Assert.Equal("AUID=\"root\"", r.Enriched);
        Assert.Equal(2_000_000, r.TimestampMs);
        Assert.Equal(1_000_000, decoded.Events[1].Records[0].TimestampMs);
        Assert.True(decoded.Events[1].Incomplete);
        Assert.Equal(1_000_000, decoded.Header.MinTimestampMs);
    }

    [Fact]
    public void Record_bytes_that_are_not_valid_utf8_are_stored_and_read_back_unchanged()
    {
        // A kernel record is kept as the bytes it arrived as: the journal must not "repair" them into U+FFFD.
        byte[] text = [.. "audit(2000.000:9): cwd=\""u8, 0xFF, 0xC3, (byte)'x', .. "\" odd=\xfe"u8];
        Assert.True(RecordParser.TryParseKernel(1307, text, out var r, out var error), error);
        var events = new[] { EventBuilder.Build([r!], false) };
        foreach (var compress in Enum.GetValues<JournalCompression>())
        {
            var back = EventBatchCodec.Decode(EventBatchCodec.Encode(events, 1, compress)).Events[0].Records[0];
            Assert.Equal(text, back.Utf8.ToArray());
            Assert.Equal(r!.FieldsStart, back.FieldsStart);
        }
        Assert.Equal("\uFFFD\uFFFDx", events[0].Cwd); // decoded only where a string is built
    }

    [Theory]
    [InlineData(JournalCompression.Zstd)]
    [InlineData(JournalCompression.Zlib)]
    [InlineData(JournalCompression.None)]
    public void Large_batches_round_trip(JournalCompression compress)
    {
        // Past every buffer's initial 64 KiB: thousands of events, an incompressible 3 MB record and invalid UTF-8.
        var rnd = new Random(3);
        var noise = new byte[3 << 20];
        rnd.NextBytes(noise);
        for (int i = 0; i < noise.Length; i++) if (noise[i] is (byte)'\n' or 0) noise[i] = (byte)'x';
        byte[] big = [.. "audit(3000.000:1): proctitle="u8, .. noise];
        Assert.True(RecordParser.TryParseKernel(1327, big, out var r, out var error), error);
        var events = SampleEvents.Range(0, 5000);
        events.Insert(2500, EventBuilder.Build([r!], false));
        var encoder = new EventBatchEncoder();
        for (int round = 0; round < 2; round++) // the second reuses the grown buffers
        {
            var decoded = EventBatchCodec.Decode(encoder.Encode(events, 7, compress));
            Assert.Equal(events.Count, decoded.Events.Count);
            Assert.Equal(big, decoded.Events[2500].Records[0].Utf8.ToArray());
            for (int i = 0; i < events.Count; i += 97)
                Assert.Equal(Json(events[i]), Json(decoded.Events[i].Build()));
        }
    }

    /// <summary>
    /// A zlib batch as every build before zstd wrote it (flags 0x01, u32 length, ZLibStream at Fastest), built here
    /// without the encoder: such journals must keep reading, and compression = zlib must still write exactly this.
    /// </summary>
    [Fact]
    public void Zlib_batches_of_the_old_format_still_decode_and_zlib_still_writes_them()
    {
        var events = SampleEvents.Range(0, 400);
        var plain = EventBatchCodec.Encode(events, 9, JournalCompression.None);
        using var ms = new MemoryStream();
        ms.Write(plain.AsSpan(0, EventBatchCodec.HeaderSize));
        ms.Write(BitConverter.GetBytes(plain.Length - EventBatchCodec.HeaderSize)); // little-endian here
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(plain, EventBatchCodec.HeaderSize, plain.Length - EventBatchCodec.HeaderSize);
        var old = ms.ToArray();
        old[1] = 1;

        var decoded = EventBatchCodec.Decode(old);
        Assert.Equal(9, decoded.Header.FirstOffset);
        Assert.Equal(events.Count, decoded.Events.Count);
        for (int i = 0; i < events.Count; i++)
            Assert.Equal(Json(events[i]), Json(decoded.Events[i].Build()));
        Assert.Equal(old, EventBatchCodec.Encode(events, 9, JournalCompression.Zlib));
    }

    [Fact]
    public void Damaged_zstd_frames_are_format_errors()
    {
        var payload = EventBatchCodec.Encode(SampleEvents.Range(0, 50), 1, JournalCompression.Zstd);
        const int frame = EventBatchCodec.HeaderSize + 8;
        Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(frame))); // zstd's magic

        var badMagic = (byte[])payload.Clone();
        badMagic[frame] ^= 0xFF;
        Assert.Contains("damaged", Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(badMagic)).Message);
        // With the checksum fixed up to match, zstd itself refuses the frame.
        BinaryPrimitives.WriteUInt32LittleEndian(badMagic.AsSpan(frame - 4), Crc32C.Of(badMagic.AsSpan(frame)));
        Assert.Contains("zstd", Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(badMagic)).Message);

        Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(payload.AsSpan(0, payload.Length - 1)));
        Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode([.. payload, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(payload.AsSpan(0, frame)));

        int length = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(EventBatchCodec.HeaderSize));
        foreach (int claimed in new[] { length - 1, length + 1, 0, -1 })
        {
            var wrongLength = (byte[])payload.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(wrongLength.AsSpan(EventBatchCodec.HeaderSize), claimed);
            Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(wrongLength));
        }
    }

    [Fact]
    public void Crc32C_gives_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Of("123456789"u8)); // the CRC-32C catalogue's check value
        Assert.Equal(0u, Crc32C.Of([]));
        Assert.Equal(0x8A9136AAu, Crc32C.Of(new byte[32])); // RFC 3720 B.4: 32 bytes of zeros
    }

    [Fact]
    public void Every_flipped_bit_after_the_header_of_a_zstd_batch_is_caught()
    {
        // Length, checksum and frame: a single flipped bit anywhere there is a format error, never different text.
        var events = SampleEvents.Range(0, 30);
        var payload = EventBatchCodec.Encode(events, 1, JournalCompression.Zstd);
        for (int at = EventBatchCodec.HeaderSize; at < payload.Length; at++)
            for (int bit = 0; bit < 8; bit++)
            {
                var bad = (byte[])payload.Clone();
                bad[at] ^= (byte)(1 << bit);
                Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(bad));
            }
    }

    /// <summary>
    /// zstd batches as the builds before the CRC wrote them (flags 0x02, u32 length, then a frame with zstd's own
    /// content checksum), built here without the encoder: such journals keep reading, and their checksum still counts.
    /// </summary>
    [Fact]
    public void Zstd_batches_of_the_earlier_format_still_decode()
    {
        var events = SampleEvents.Range(0, 200);
        var plain = EventBatchCodec.Encode(events, 9, JournalCompression.None);
        using var zstd = new ZstdSharp.Compressor(-1);
        zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        var frame = zstd.Wrap(plain.AsSpan(EventBatchCodec.HeaderSize)).ToArray();
        byte[] old = [.. plain.AsSpan(0, EventBatchCodec.HeaderSize), .. BitConverter.GetBytes(plain.Length - EventBatchCodec.HeaderSize), .. frame];
        old[1] = 2;

        var decoded = EventBatchCodec.Decode(old);
        Assert.Equal(9, decoded.Header.FirstOffset);
        Assert.Equal(events.Select(Json), decoded.Events.Select(e => Json(e.Build())));

        var flipped = (byte[])old.Clone();
        flipped[^2] ^= 0x01; // inside zstd's content checksum at the frame's end
        Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(flipped));
    }

    [Theory]
    [InlineData(JournalCompression.Zstd, 0x03)] // zlib and zstd at once
    [InlineData(JournalCompression.Zstd, 0x04)]
    [InlineData(JournalCompression.Zlib, 0x80)]
    [InlineData(JournalCompression.None, 0x04)]
    [InlineData(JournalCompression.None, 0x05)]
    [InlineData(JournalCompression.Zstd, 0x07)]
    public void Unknown_flag_bits_are_format_errors(JournalCompression compress, byte flags)
    {
        var payload = EventBatchCodec.Encode(SampleEvents.Range(0, 20), 1, compress);
        payload[1] = flags;
        var e = Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(payload));
        Assert.Contains($"unknown batch flags 0x{flags:x2}", e.Message);
        Assert.Equal(20, EventBatchCodec.ReadHeader(payload).Count); // the header alone stays readable (seeks, recovery)
    }

    [Theory]
    [InlineData(JournalCompression.Zstd)]
    [InlineData(JournalCompression.Zlib)]
    [InlineData(JournalCompression.None)]
    public void Damaged_payloads_are_format_errors_not_crashes(JournalCompression compress)
    {
        var payload = EventBatchCodec.Encode(SampleEvents.Range(0, 20), 1, compress);
        for (int cut = 0; cut < payload.Length; cut += 37)
            Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(payload.AsSpan(0, cut)));
        var unknownVersion = (byte[])payload.Clone();
        unknownVersion[0] = 99;
        Assert.Contains("version 99", Assert.Throws<JournalFormatException>(() => EventBatchCodec.Decode(unknownVersion)).Message);
        var rnd = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            var bad = (byte[])payload.Clone();
            bad[EventBatchCodec.HeaderSize + rnd.Next(bad.Length - EventBatchCodec.HeaderSize)] ^= (byte)(1 + rnd.Next(255));
            try { EventBatchCodec.Decode(bad); }
            catch (JournalFormatException) { }
        }
    }

    internal static string Json(AuditEvent e)
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            EventJson.WriteProperties(w, e);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
