using System.Buffers;
using System.Globalization;
using System.Text.Json;
using FsAudit.Engine.Events;
using Xunit;

namespace FsAudit.Tests.Events;

/// <summary>The hand-tuned parts of the event JSON write exactly what a plain Utf8JsonWriter would.</summary>
public class EventJsonTests
{
    public static TheoryData<string> TrickyValues() => new()
    {
        "",
        "touch",
        "/usr/bin/\"quoted\" name",
        "line\nbreak\ttab\u0001ctl",
        "back\\slash <html> & 'apos' +plus",
        "caf\u00e9 \u65e5\u672c \ud83d\ude00",
        new string('x', 300) + "\"",
    };

    [Theory]
    [MemberData(nameof(TrickyValues))]
    public void Cached_strings_write_what_the_writer_writes(string value)
    {
        var expected = Write(w => w.WriteString("v", value));
        var name = new JsonName("v");
        // First write encodes and caches, the second hits the cache; an equal but distinct string misses it.
        Assert.Equal(expected, Line(w => EncodedStrings.Write(w, name, value)));
        Assert.Equal(expected, Line(w => EncodedStrings.Write(w, name, value)));
        Assert.Equal(expected, Line(w => EncodedStrings.Write(w, name, new string(value.AsSpan()))));
        Assert.Equal(Write(w => w.WriteStringValue(value), array: true), Line(w => EncodedStrings.WriteValue(w, value), array: true));
    }

    [Fact]
    public void Null_is_written_as_json_null()
    {
        Assert.Equal("{\"v\":null}", Line(w => EncodedStrings.Write(w, new JsonName("v"), null)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(5L)]
    [InlineData(1_700_000_000_005L)]
    [InlineData(1_764_000_123_999L)]
    [InlineData(-62_135_596_800_000L)] // 0001-01-01T00:00:00.000Z
    [InlineData(253_402_300_799_999L)] // 9999-12-31T23:59:59.999Z
    public void Timestamps_are_iso_utc_with_milliseconds(long ms)
    {
        var e = new AuditEvent { TimestampMs = ms, Type = "SYSCALL" };
        using var doc = JsonDocument.Parse(EventJson.ToLine(e));
        var expected = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(expected, doc.RootElement.GetProperty("timestamp").GetString());
    }

    private static string Write(Action<Utf8JsonWriter> body, bool array = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventJson.WriterOptions))
        {
            if (array) w.WriteStartArray(); else w.WriteStartObject();
            body(w);
            if (array) w.WriteEndArray(); else w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Line(Action<JsonLineWriter> body, bool array = false)
    {
        var w = new JsonLineWriter();
        if (array) w.StartArray(); else w.StartObject();
        body(w);
        if (array) w.EndArray(); else w.EndObject();
        return System.Text.Encoding.UTF8.GetString(w.WrittenSpan);
    }
}
