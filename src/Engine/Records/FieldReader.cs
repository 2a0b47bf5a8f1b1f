using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FsAudit.Engine.Records;

/// <summary>How a field value was written.</summary>
public enum FieldQuoting : byte
{
    /// <summary><c>key=value</c>: a number, a hex-encoded string, <c>(null)</c>, <c>?</c>, a word.</summary>
    None,
    /// <summary><c>key="text"</c>: a printable-ASCII string.</summary>
    Double,
    /// <summary><c>msg='k=v ...'</c>: a user-space record's nested field list.</summary>
    Single,
}

/// <summary>
/// Enumerates the <c>key=value</c> pairs of a record's fields (UTF-8, as <see cref="AuditRecord.Fields"/>) without
/// allocating. Tolerates garbage:
/// tokens without '=' are skipped, an unterminated quote runs to the end. Use <see cref="Nested"/> to
/// enumerate the inner fields of a user-space record's <c>msg='...'</c>.
/// </summary>
public ref struct FieldReader
{
    private readonly ReadOnlySpan<byte> _text;
    private int _pos;

    public FieldReader(ReadOnlySpan<byte> fields)
    {
        _text = fields;
        _pos = 0;
        _blockStart = -(1 << 30); // nothing classified yet (any position is outside the block)
        _spaces = _ends = 0;
        Key = default;
        KeyOffset = 0;
        RawValue = default;
        Value = default;
        Quoting = FieldQuoting.None;
    }

    /// <summary>The field name of the current pair.</summary>
    public ReadOnlySpan<byte> Key { get; private set; }

    /// <summary>Where <see cref="Key"/> starts in the text being read.</summary>
    public int KeyOffset { get; private set; }

    /// <summary>The value exactly as written, quotes included.</summary>
    public ReadOnlySpan<byte> RawValue { get; private set; }

    public FieldQuoting Quoting { get; private set; }

    /// <summary>The value without its quotes (hex stays hex: use <see cref="DecodeString"/>).</summary>
    /// <remarks>Found while scanning: the same as <see cref="FieldDecoder.Unquote"/> of <see cref="RawValue"/> for a quoted value.</remarks>
    public ReadOnlySpan<byte> Value { get; private set; }

    /// <summary>The key as a <see cref="FieldKey"/> code, for a <c>switch</c> on <see cref="FieldKey"/> constants.</summary>
    public readonly ulong KeyCode => FieldKey.Of(Key);

    public readonly bool IsNull => Quoting == FieldQuoting.None && RawValue.SequenceEqual("(null)"u8);

    /// <summary><c>?</c>: the kernel/user space had no value to give.</summary>
    public readonly bool IsUnknown => Quoting == FieldQuoting.None && RawValue.Length == 1 && RawValue[0] == (byte)'?';

    /// <summary>The inner fields of a single-quoted value (<c>msg='op=... res=success'</c>).</summary>
    public readonly FieldReader Nested() => new(Value);

    /// <summary>Decodes the value as an untrusted string (quoted, hex, or <c>(null)</c> → null).</summary>
    public readonly string? DecodeString() => FieldDecoder.DecodeString(RawValue);

    public readonly bool KeyIs(ReadOnlySpan<byte> name) => Key.SequenceEqual(name);

    /// <summary>
    /// The key as characters in <paramref name="scratch"/>, so callers can <c>switch</c> on it with string constants
    /// (keys are short ASCII words); empty when the key does not fit or is not ASCII, which matches no constant.
    /// Hot paths switch on <see cref="KeyCode"/> instead (no widening).
    /// </summary>
    public readonly ReadOnlySpan<char> KeyChars(Span<char> scratch) =>
        Key.Length <= scratch.Length && System.Text.Ascii.ToUtf16(Key, scratch, out int n) == System.Buffers.OperationStatus.Done
            ? scratch[..n] : default;

    public readonly bool TryGetInt64(out long v) => FieldDecoder.TryParseInt64(Value, out v);

    public readonly bool TryGetUInt32(out uint v) => FieldDecoder.TryParseUInt32(Value, out v);

    public readonly bool TryGetHexUInt64(out ulong v) => FieldDecoder.TryParseHexUInt64(Value, out v);

    // The text is classified 64 bytes at a time into bit masks (separators, and separators or '='), so finding the end
    // of a key or a value is a shift and a trailing-zero count instead of a compare per byte: the byte-at-a-time scan
    // was the largest single function of the engine's profile (a SYSCALL record is ~350 bytes of ~27 fields).
    private int _blockStart;
    private ulong _spaces, _ends;

    public bool MoveNext()
    {
        var t = _text;
        int pos = _pos;
        while (true)
        {
            while (pos < t.Length && IsSpace(t[pos])) pos++;
            if (pos >= t.Length) break;

            // The key runs to '=' (or a separator: then it is no key).
            int start = pos;
            pos = Next(t, pos, keyEnd: true);
            if (pos >= t.Length || t[pos] != (byte)'=' || pos == start)
            {
                // A token without '=' (free text in user messages, an AppArmor "(enforce)"): skip it.
                pos = Next(t, pos, keyEnd: false);
                continue;
            }

            Key = t.Slice(start, pos - start);
            KeyOffset = start;
            pos++; // '='
            if (pos < t.Length && (t[pos] == (byte)'"' || t[pos] == (byte)'\''))
            {
                byte q = t[pos];
                int close = t.Slice(pos + 1).IndexOf(q);
                if (close < 0)
                {
                    // Unterminated: the value runs to the end.
                    RawValue = t.Slice(pos);
                    Value = t.Slice(pos + 1);
                    pos = t.Length;
                }
                else
                {
                    RawValue = t.Slice(pos, close + 2);
                    Value = t.Slice(pos + 1, close);
                    pos += close + 2;
                }
                Quoting = q == (byte)'"' ? FieldQuoting.Double : FieldQuoting.Single;
            }
            else
            {
                int vs = pos;
                pos = Next(t, pos, keyEnd: false);
                RawValue = Value = t.Slice(vs, pos - vs);
                Quoting = FieldQuoting.None;
            }
            _pos = pos;
            return true;
        }
        _pos = t.Length;
        Key = default;
        RawValue = default;
        Value = default;
        return false;
    }

    /// <summary>
    /// Index of the first separator (or, with <paramref name="keyEnd"/>, separator or '=') at or after
    /// <paramref name="pos"/>, or the length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Next(ReadOnlySpan<byte> t, int pos, bool keyEnd)
    {
        while (pos < t.Length)
        {
            int offset = pos - _blockStart;
            if ((uint)offset >= 64)
            {
                Classify(t, pos);
                offset = 0;
            }
            ulong bits = (keyEnd ? _ends : _spaces) >> offset;
            if (bits != 0) return Math.Min(pos + BitOperations.TrailingZeroCount(bits), t.Length);
            pos = _blockStart + 64;
        }
        return t.Length;
    }

    /// <summary>Classifies the 64 bytes from <paramref name="start"/> (past the end: NUL, a separator never reported).</summary>
    private void Classify(ReadOnlySpan<byte> t, int start)
    {
        _blockStart = start;
        var rest = t.Slice(start);
        if (rest.Length >= 64)
        {
            _spaces = SeparatorBits(ref MemoryMarshal.GetReference(rest), out _ends);
            return;
        }
        Span<byte> padded = stackalloc byte[64];
        padded.Clear();
        rest.CopyTo(padded);
        _spaces = SeparatorBits(ref MemoryMarshal.GetReference(padded), out _ends);
    }

    /// <summary>Bit i set when byte i of the 64 at <paramref name="p"/> is a separator; <paramref name="ends"/> also has '='.</summary>
    /// <remarks>
    /// The same compares at two widths, as the BCL writes its searches: Vector256 where AVX2 runs it (0.69-0.72 of the
    /// old reader's time per record), Vector128 elsewhere (SSE2, NEON; 0.72-0.85 measured on AVX2), bytes without SIMD.
    /// </remarks>
    private static ulong SeparatorBits(ref byte p, out ulong ends)
    {
        ulong spaces = 0, equals = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < 64; i += 32)
            {
                var v = Vector256.LoadUnsafe(ref p, (nuint)i);
                var s = Vector256.Equals(v, Vector256.Create((byte)' ')) | Vector256.Equals(v, Vector256.Create((byte)'\t'))
                    | Vector256.Equals(v, Vector256.Create((byte)'\n')) | Vector256.Equals(v, Vector256.Create((byte)'\r'))
                    | Vector256.Equals(v, Vector256<byte>.Zero);
                spaces |= (ulong)s.ExtractMostSignificantBits() << i;
                equals |= (ulong)Vector256.Equals(v, Vector256.Create((byte)'=')).ExtractMostSignificantBits() << i;
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (int i = 0; i < 64; i += 16)
            {
                var v = Vector128.LoadUnsafe(ref p, (nuint)i);
                var s = Vector128.Equals(v, Vector128.Create((byte)' ')) | Vector128.Equals(v, Vector128.Create((byte)'\t'))
                    | Vector128.Equals(v, Vector128.Create((byte)'\n')) | Vector128.Equals(v, Vector128.Create((byte)'\r'))
                    | Vector128.Equals(v, Vector128<byte>.Zero);
                spaces |= (ulong)s.ExtractMostSignificantBits() << i;
                equals |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'=')).ExtractMostSignificantBits() << i;
            }
        }
        else
        {
            for (int i = 0; i < 64; i++)
            {
                byte c = Unsafe.Add(ref p, i);
                if (IsSpace(c)) spaces |= 1UL << i;
                else if (c == (byte)'=') equals |= 1UL << i;
            }
        }
        ends = spaces | equals;
        return spaces;
    }

    // ' ', '\t', '\n', '\r' and NUL as a bit mask over the bytes 0..32.
    private const ulong SpaceMask = 1UL << ' ' | 1UL << '\t' | 1UL << '\n' | 1UL << '\r' | 1UL << 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSpace(byte c) => c <= (byte)' ' && ((SpaceMask >> c) & 1) != 0;

    /// <summary>Finds the first field named <paramref name="name"/>; its raw value or false.</summary>
    public static bool TryFind(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> rawValue)
    {
        var r = new FieldReader(fields);
        while (r.MoveNext())
        {
            if (r.KeyIs(name)) { rawValue = r.RawValue; return true; }
        }
        rawValue = default;
        return false;
    }
}
