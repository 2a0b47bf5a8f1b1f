using System.Buffers;
using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FsAudit.Actors.Subscribers;

/// <summary>Building the protocol's newline-terminated JSON lines.</summary>
public static class JsonLines
{
    /// <summary>Compact, and no HTML-style escaping of '&lt;', '&amp;' or non-ASCII: this is a line protocol, not a web page.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Writes <c>"name":[...]</c> when there are values, nothing otherwise (filters show only the fields that are set).</summary>
    public static void ArrayIfAny(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>The same for ids (uids, auids), whatever integer type holds them.</summary>
    public static void ArrayIfAny<T>(Utf8JsonWriter w, string name, IReadOnlyList<T> values) where T : IBinaryInteger<T>
    {
        if (values.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(long.CreateTruncating(v));
        w.WriteEndArray();
    }

    /// <summary>One line: the object written by <paramref name="body"/> followed by '\n'.</summary>
    public static byte[] Object(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Error(string message) => Object(w =>
    {
        w.WriteString("type", "error");
        w.WriteString("error", message);
    });

    /// <summary>Events <paramref name="from"/>..<paramref name="to"/> (offsets, inclusive) were not delivered; <paramref name="missed"/> of them matched.</summary>
    public static byte[] Gap(long from, long to, long missed) => Object(w =>
    {
        w.WriteString("type", "gap");
        w.WriteNumber("from", from);
        w.WriteNumber("to", to);
        w.WriteNumber("missed", missed);
    });

    /// <summary>
    /// Offsets <paramref name="from"/>..<paramref name="to"/> (inclusive) were gone before this subscriber read them:
    /// pruned from the journal (<paramref name="reason"/> "pruned"), or older than the recent window of a daemon without
    /// a journal ("window").
    /// </summary>
    public static byte[] Pruned(long from, long to, string reason = "pruned") => Object(w =>
    {
        w.WriteString("type", "gap");
        w.WriteNumber("from", from);
        w.WriteNumber("to", to);
        w.WriteString("reason", reason);
    });
}
