using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Encodings.Web;

namespace FsAudit.Engine.Events;

/// <summary>A property name encoded once as the UTF-8 bytes that precede its value: <c>"name":</c>.</summary>
public readonly struct JsonName
{
    /// <summary>The bytes, zero-padded to a multiple of 16 (copied 16 at a time).</summary>
    internal readonly byte[] Padded;
    internal readonly int Length;

    public JsonName(string name)
    {
        var w = new JsonLineWriter(name.Length * 6 + 3);
        w.StringValue(name);
        w.Colon();
        Padded = JsonLineWriter.Pad(w.WrittenSpan);
        Length = w.Length;
    }

    public override string ToString() => Encoding.UTF8.GetString(Padded, 0, Length);
}

/// <summary>
/// The event lines' compact UTF-8 JSON, appended into one reusable buffer: what a <c>Utf8JsonWriter</c> with
/// <see cref="EventJson.WriterOptions"/> writes, byte for byte, without its per-property bookkeeping. Strings of
/// printable ASCII without '"' or '\' are copied straight through; any other string is escaped by the same
/// encoder the Utf8JsonWriter uses (<see cref="Encoder"/>, on its UTF-16 form, then transcoded), so odd strings
/// come out as before. No validation: the caller writes a well-formed sequence. Not thread-safe.
/// </summary>
public sealed class JsonLineWriter(int capacity = 1024)
{
    /// <summary>No HTML escaping of '/', '+', '&lt;', non-ASCII letters... (paths stay readable).</summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The characters <see cref="Encoder"/> leaves alone and that are one byte in UTF-8.</summary>
    private static readonly SearchValues<char> Plain = SearchValues.Create(PlainAscii());

    private byte[] _buffer = new byte[Math.Max(capacity, 16)];
    private int _length;
    private bool _separate; // a value ended at the current level: the next value or property needs a ','
    private char[] _escaped = [];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, 0, _length);

    /// <summary>Empties the buffer (its capacity is kept) for the next line.</summary>
    public void Reset()
    {
        _length = 0;
        _separate = false;
    }

    public void StartObject() => Start((byte)'{');

    public void StartObject(JsonName name)
    {
        Name(name, 1);
        Start((byte)'{');
    }

    public void EndObject() => End((byte)'}');

    public void StartArray() => Start((byte)'[');

    public void StartArray(JsonName name)
    {
        Name(name, 1);
        Start((byte)'[');
    }

    public void EndArray() => End((byte)']');

    public void Number(JsonName name, long value)
    {
        Name(name, 20);
        NumberValue(value);
    }

    public void Number(JsonName name, ulong value)
    {
        Name(name, 20);
        NumberValue(value);
    }

    public void NumberValue(long value)
    {
        Value(20);
        ulong magnitude = (ulong)value;
        if (value < 0)
        {
            // '-' and the digits, as the formatter writes them, without its culture-aware negative path.
            _buffer[_length++] = (byte)'-';
            magnitude = 0UL - magnitude;
        }
        Utf8Formatter.TryFormat(magnitude, _buffer.AsSpan(_length), out int written);
        _length += written;
    }

    public void NumberValue(ulong value)
    {
        Value(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out int written);
        _length += written;
    }

    public void Null(JsonName name)
    {
        Name(name, 4);
        NullValue();
    }

    public void NullValue() => Literal("null"u8);

    public void Bool(JsonName name, bool value)
    {
        Name(name, 5);
        Literal(value ? "true"u8 : "false"u8);
    }

    /// <summary>A string property; null is written as JSON null.</summary>
    public void String(JsonName name, string? value)
    {
        Name(name, value is null ? 4 : value.Length + 2);
        StringValue(value);
    }

    /// <summary>A string value; null is written as JSON null.</summary>
    public void StringValue(string? value)
    {
        if (value is null) NullValue();
        else StringValue(value.AsSpan());
    }

    public void StringValue(ReadOnlySpan<char> value)
    {
        int first = value.IndexOfAnyExcept(Plain);
        if (first >= 0)
        {
            Escaped(value, first);
            return;
        }
        Value(value.Length + 2);
        var b = _buffer;
        int at = _length;
        b[at++] = (byte)'"';
        Ascii.FromUtf16(value, b.AsSpan(at), out int written);
        at += written;
        b[at++] = (byte)'"';
        _length = at;
    }

    /// <summary>
    /// A string property whose UTF-8 <paramref name="value"/> the caller knows needs no escaping (digits, hex,
    /// timestamps: printable ASCII without '"' or '\').
    /// </summary>
    public void PlainString(JsonName name, ReadOnlySpan<byte> value)
    {
        Name(name, value.Length + 2);
        PlainStringValue(value);
    }

    public void PlainStringValue(ReadOnlySpan<byte> value)
    {
        Value(value.Length + 2);
        var b = _buffer;
        int at = _length;
        b[at++] = (byte)'"';
        value.CopyTo(b.AsSpan(at));
        at += value.Length;
        b[at++] = (byte)'"';
        _length = at;
    }

    /// <summary>
    /// A property whose value is an already encoded JSON token (a quoted string from <see cref="EncodedStrings"/>):
    /// its first <paramref name="length"/> bytes of <paramref name="padded"/>, an array whose length is a multiple of 16.
    /// </summary>
    internal void Encoded(JsonName name, byte[] padded, int length)
    {
        Name(name, padded.Length);
        EncodedValue(padded, length);
    }

    internal void EncodedValue(byte[] padded, int length)
    {
        Value(padded.Length);
        CopyPadded(padded, length);
    }

    /// <summary>
    /// Members already serialized elsewhere (<c>"a":1,"b":[2]</c> inside an object, or values inside an array),
    /// separated from what precedes them like any member; nothing when empty.
    /// </summary>
    public void RawMembers(ReadOnlySpan<byte> members)
    {
        if (members.IsEmpty) return;
        Value(members.Length);
        members.CopyTo(_buffer.AsSpan(_length));
        _length += members.Length;
    }

    /// <summary>Appends '\n' (the end of a line; JSON itself never contains one).</summary>
    public void NewLine()
    {
        Ensure(1);
        _buffer[_length++] = (byte)'\n';
        _separate = false;
    }

    internal void Colon()
    {
        Ensure(1);
        _buffer[_length++] = (byte)':';
        _separate = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Name(JsonName name, int valueBytes)
    {
        var padded = name.Padded;
        Ensure(padded.Length + 1 + valueBytes);
        if (_separate) _buffer[_length++] = (byte)',';
        CopyPadded(padded, name.Length);
        _separate = false;
    }

    /// <summary>
    /// Appends the first <paramref name="length"/> bytes of <paramref name="padded"/> 16 bytes at a time (names and
    /// cached strings are short: this beats a memmove call). The caller ensured room for all of <paramref name="padded"/>;
    /// the bytes past <paramref name="length"/> land beyond the written part and are overwritten by what follows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CopyPadded(byte[] padded, int length)
    {
        Debug.Assert(padded.Length % 16 == 0 && length <= padded.Length && _buffer.Length - _length >= padded.Length);
        ref byte src = ref MemoryMarshal.GetArrayDataReference(padded);
        ref byte dst = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), _length);
        for (int i = 0; i < length; i += 16)
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref src, i)));
        _length += length;
    }

    /// <summary><paramref name="bytes"/> copied into an array zero-padded to a multiple of 16 (for <see cref="CopyPadded"/>).</summary>
    internal static byte[] Pad(ReadOnlySpan<byte> bytes)
    {
        var padded = new byte[Math.Max(16, (bytes.Length + 15) & ~15)];
        bytes.CopyTo(padded);
        return padded;
    }

    /// <summary>Room for a value of up to <paramref name="bytes"/> bytes, its separator written; the next one will need one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Value(int bytes)
    {
        Ensure(bytes + 1);
        if (_separate) _buffer[_length++] = (byte)',';
        _separate = true;
    }

    private void Literal(ReadOnlySpan<byte> literal)
    {
        Value(literal.Length);
        literal.CopyTo(_buffer.AsSpan(_length));
        _length += literal.Length;
    }

    private void Start(byte brace)
    {
        Value(1);
        _buffer[_length++] = brace;
        _separate = false;
    }

    private void End(byte brace)
    {
        Ensure(1);
        _buffer[_length++] = brace;
        _separate = true;
    }

    /// <summary>
    /// What Utf8JsonWriter does with a string that needs escaping: the plain ASCII prefix as is, the rest escaped
    /// by <see cref="Encoder"/> as UTF-16 (invalid surrogates come out escaped too), then transcoded to UTF-8.
    /// </summary>
    private void Escaped(ReadOnlySpan<char> value, int first)
    {
        var rest = value[first..];
        int max = rest.Length * 6; // at most "\uXXXX" per char
        if (_escaped.Length < max) _escaped = new char[Math.Max(max, 256)];
        var status = Encoder.Encode(rest, _escaped, out _, out int chars, isFinalBlock: true);
        if (status != OperationStatus.Done) throw new InvalidOperationException($"JSON string escaping failed: {status}");
        var escaped = _escaped.AsSpan(0, chars);

        Value(first + Encoding.UTF8.GetMaxByteCount(chars) + 2);
        var b = _buffer;
        int at = _length;
        b[at++] = (byte)'"';
        Ascii.FromUtf16(value[..first], b.AsSpan(at), out int written);
        at += written;
        at += Encoding.UTF8.GetBytes(escaped, b.AsSpan(at));
        b[at++] = (byte)'"';
        _length = at;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int bytes)
    {
        if (_buffer.Length - _length < bytes) Grow(bytes);
    }

    private void Grow(int bytes) => Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));

    private static string PlainAscii()
    {
        var chars = new StringBuilder();
        for (char c = ' '; c <= '~'; c++)
            if (c != '"' && c != '\\') chars.Append(c);
        return chars.ToString();
    }
}
