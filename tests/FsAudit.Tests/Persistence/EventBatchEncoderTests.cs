using FsAudit.Actors.Persistence;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;
using Xunit.Abstractions;

namespace FsAudit.Tests.Persistence;

public class EventBatchEncoderTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(JournalCompression.Zstd)]
    [InlineData(JournalCompression.Zlib)]
    [InlineData(JournalCompression.None)]
    public void A_reused_encoder_gives_the_same_bytes_as_a_fresh_one_whatever_came_before(JournalCompression compress)
    {
        var encoder = new EventBatchEncoder();
        // Large enough to grow the buffers past their initial size, then smaller, then empty, then large again:
        // stale bytes from an earlier batch must never leak into a later one.
        var batches = new[] { SampleEvents.Range(0, 1500), SampleEvents.Range(1500, 3), new List<AuditEvent>(), SampleEvents.Range(2000, 700) };
        foreach (var events in batches)
        {
            var reused = encoder.Encode(events, 42, compress);
            Assert.Equal(EventBatchCodec.Encode(events, 42, compress), reused);
            var decoded = EventBatchCodec.Decode(reused);
            Assert.Equal(events.Count, decoded.Events.Count);
            for (int i = 0; i < events.Count; i++)
                Assert.Equal(EventBatchCodecTests.Json(events[i]), EventBatchCodecTests.Json(decoded.Events[i].Build()));
        }
    }

    [Fact]
    public void Returns_a_new_array_per_batch_so_the_journal_can_keep_it()
    {
        var encoder = new EventBatchEncoder();
        var first = encoder.Encode(SampleEvents.Range(0, 10), 1);
        var copy = (byte[])first.Clone();
        var second = encoder.Encode(SampleEvents.Range(10, 10), 11);
        Assert.NotSame(first, second);
        Assert.Equal(copy, first);
        EventBatchCodec.SetFirstOffset(second, 99);
        Assert.Equal(1, EventBatchCodec.ReadHeader(first).FirstOffset);
    }

    [Theory]
    [InlineData(1)]    // 'ä' = 2 bytes: 100 characters need a 2-byte length where 1 was guessed
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(8191)] // 3-byte length for 16,382 bytes
    [InlineData(8192)]
    public void Non_ascii_strings_whose_byte_length_needs_a_longer_varint_round_trip(int umlauts)
    {
        string text = "audit(1.000:1): msg='" + new string('ä', umlauts) + "😀'";
        var record = new AuditRecord(1112, 1000, 1, text, 16, node: new string('é', umlauts)) { Enriched = new string('ü', 70) };
        var events = new[] { EventBuilder.Build([record], false), SampleEvents.Make(5) };
        var encoder = new EventBatchEncoder();
        foreach (var compress in Enum.GetValues<JournalCompression>())
        {
            var decoded = EventBatchCodec.Decode(encoder.Encode(events, 1, compress));
            var r = decoded.Events[0].Records[0];
            Assert.Equal(text, r.Text);
            Assert.Equal(record.Node, r.Node);
            Assert.Equal(record.Enriched, r.Enriched);
            Assert.Equal(EventBatchCodecTests.Json(events[1]), EventBatchCodecTests.Json(decoded.Events[1].Build()));
        }
    }

    [Theory]
    [InlineData(-8)]
    [InlineData(20)]
    public void Zstd_levels_out_of_range_are_refused(int level)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventBatchEncoder(level));
    }

    [Theory]
    [InlineData(-7)]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(19)]
    public void Every_zstd_level_round_trips_and_is_marked_zstd(int level)
    {
        var events = SampleEvents.Range(0, 200);
        var payload = new EventBatchEncoder(level).Encode(events, 1, JournalCompression.Zstd);
        Assert.Equal(EventBatchCodec.Zstd | EventBatchCodec.FrameCrc, payload[1]);
        var decoded = EventBatchCodec.Decode(payload);
        for (int i = 0; i < events.Count; i++)
            Assert.Equal(EventBatchCodecTests.Json(events[i]), EventBatchCodecTests.Json(decoded.Events[i].Build()));
    }

    [Fact]
    public void Compressed_size_by_batch_size()
    {
        var encoder = new EventBatchEncoder();
        foreach (int n in new[] { 128, 256, 512, 1024, 2048 })
        {
            var events = SampleEvents.Range(n * 10, n);
            long text = events.Sum(e => e.Records.Sum(r => (long)r.Text.Length));
            foreach (var c in new[] { JournalCompression.Zstd, JournalCompression.Zlib })
            {
                var payload = encoder.Encode(events, compression: c);
                output.WriteLine($"SIZE {c} events={n} text={text} compressed={payload.Length} ratio={(double)text / payload.Length:F1}");
                Assert.True(payload.Length < text / 3);
            }
        }
    }
}
