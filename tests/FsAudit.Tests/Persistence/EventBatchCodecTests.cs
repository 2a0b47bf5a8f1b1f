using FsAudit.Actors.Persistence;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Persistence;

public class EventBatchCodecTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Round_trip_rebuilds_every_event_exactly(bool compress)
    {
        var events = SampleEvents.Range(0, 300);
        var payload = EventBatchCodec.Encode(events, compress: compress);
        long text = events.Sum(e => e.Records.Sum(r => (long)r.Text.Length));
        if (compress) Assert.True(payload.Length < text / 3, $"{payload.Length} bytes for {text} characters of record text");
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
        foreach (bool compress in new[] { true, false })
        {
            var back = EventBatchCodec.Decode(EventBatchCodec.Encode(events, 1, compress)).Events[0].Records[0];
            Assert.Equal(text, back.Utf8.ToArray());
            Assert.Equal(r!.FieldsStart, back.FieldsStart);
        }
        Assert.Equal("\uFFFD\uFFFDx", events[0].Cwd); // decoded only where a string is built
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Damaged_payloads_are_format_errors_not_crashes(bool compress)
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
