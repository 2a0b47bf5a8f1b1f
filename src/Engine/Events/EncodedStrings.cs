using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FsAudit.Engine.Events;

/// <summary>
/// JSON-encoded forms of strings that repeat by reference (values interned by <see cref="StringCache"/>, table
/// names, class names), so an event's comm, exe, cwd, nametype... are escaped and transcoded to UTF-8 once
/// instead of per event. A small lossy table keyed by reference: a miss only costs one encode; thread-safe
/// because slots hold immutable entries and a lost race costs a duplicate. Use it only for interned values: a
/// fresh string per event would miss every time.
/// </summary>
public static class EncodedStrings
{
    private const int MaxLength = 256;
    private const int Slots = 2048; // power of two

    private sealed class Entry(string source, JsonEncodedText encoded)
    {
        public readonly string Source = source;
        public readonly JsonEncodedText Encoded = encoded;
    }

    private static readonly Entry?[] Table = new Entry?[Slots];

    /// <summary>Writes <paramref name="value"/> (null as JSON null) as <see cref="EventJson.WriterOptions"/> would.</summary>
    public static void Write(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else if (value.Length > MaxLength) w.WriteString(name, value);
        else w.WriteString(name, Get(value));
    }

    public static void WriteValue(Utf8JsonWriter w, string value)
    {
        if (value.Length > MaxLength) w.WriteStringValue(value);
        else w.WriteStringValue(Get(value));
    }

    private static JsonEncodedText Get(string value)
    {
        int slot = RuntimeHelpers.GetHashCode(value) & (Slots - 1);
        var entry = Volatile.Read(ref Table[slot]);
        if (entry != null && ReferenceEquals(entry.Source, value)) return entry.Encoded;
        var encoded = JsonEncodedText.Encode(value, EventJson.WriterOptions.Encoder);
        Volatile.Write(ref Table[slot], new Entry(value, encoded));
        return encoded;
    }
}
