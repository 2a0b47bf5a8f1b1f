using System.Runtime.CompilerServices;

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

    private sealed class Entry(string source, byte[] token, int length)
    {
        public readonly string Source = source;
        public readonly byte[] Token = token; // the quoted, escaped UTF-8 string, zero-padded to a multiple of 16
        public readonly int Length = length;
    }

    private static readonly Entry?[] Table = new Entry?[Slots];

    [ThreadStatic] private static JsonLineWriter? _encoder;

    /// <summary>Writes <paramref name="value"/> (null as JSON null) exactly as <see cref="JsonLineWriter.String"/> would.</summary>
    public static void Write(JsonLineWriter w, JsonName name, string? value)
    {
        if (value is null) w.Null(name);
        else if (value.Length > MaxLength) w.String(name, value);
        else
        {
            var entry = Get(value);
            w.Encoded(name, entry.Token, entry.Length);
        }
    }

    public static void WriteValue(JsonLineWriter w, string value)
    {
        if (value.Length > MaxLength) w.StringValue(value);
        else
        {
            var entry = Get(value);
            w.EncodedValue(entry.Token, entry.Length);
        }
    }

    private static Entry Get(string value)
    {
        int slot = RuntimeHelpers.GetHashCode(value) & (Slots - 1);
        var entry = Volatile.Read(ref Table[slot]);
        if (entry != null && ReferenceEquals(entry.Source, value)) return entry;
        var encoder = _encoder ??= new JsonLineWriter(MaxLength * 6 + 2);
        encoder.Reset();
        encoder.StringValue(value);
        entry = new Entry(value, JsonLineWriter.Pad(encoder.WrittenSpan), encoder.Length);
        Volatile.Write(ref Table[slot], entry);
        return entry;
    }
}
