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
        Key = default;
        RawValue = default;
        Quoting = FieldQuoting.None;
    }

    /// <summary>The field name of the current pair.</summary>
    public ReadOnlySpan<byte> Key { get; private set; }

    /// <summary>The value exactly as written, quotes included.</summary>
    public ReadOnlySpan<byte> RawValue { get; private set; }

    public FieldQuoting Quoting { get; private set; }

    /// <summary>The value without its quotes (hex stays hex: use <see cref="DecodeString"/>).</summary>
    public readonly ReadOnlySpan<byte> Value => Quoting == FieldQuoting.None ? RawValue : FieldDecoder.Unquote(RawValue);

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
    /// </summary>
    public readonly ReadOnlySpan<char> KeyChars(Span<char> scratch) =>
        Key.Length <= scratch.Length && System.Text.Ascii.ToUtf16(Key, scratch, out int n) == System.Buffers.OperationStatus.Done
            ? scratch[..n] : default;

    public readonly bool TryGetInt64(out long v) => FieldDecoder.TryParseInt64(Value, out v);

    public readonly bool TryGetUInt32(out uint v) => FieldDecoder.TryParseUInt32(Value, out v);

    public readonly bool TryGetHexUInt64(out ulong v) => FieldDecoder.TryParseHexUInt64(Value, out v);

    public bool MoveNext()
    {
        var t = _text;
        int pos = _pos;
        while (pos < t.Length)
        {
            while (pos < t.Length && IsSpace(t[pos])) pos++;
            if (pos >= t.Length) break;

            int start = pos;
            while (pos < t.Length && t[pos] != (byte)'=' && !IsSpace(t[pos])) pos++;
            if (pos >= t.Length || t[pos] != (byte)'=' || pos == start)
            {
                // A token without '=' (free text in user messages, an AppArmor "(enforce)"): skip it.
                while (pos < t.Length && !IsSpace(t[pos])) pos++;
                continue;
            }

            Key = t[start..pos];
            pos++; // '='
            if (pos < t.Length && (t[pos] == (byte)'"' || t[pos] == (byte)'\''))
            {
                byte q = t[pos];
                int close = t[(pos + 1)..].IndexOf(q);
                int end = close < 0 ? t.Length : pos + 1 + close + 1;
                RawValue = t[pos..end];
                Quoting = q == (byte)'"' ? FieldQuoting.Double : FieldQuoting.Single;
                pos = end;
            }
            else
            {
                int vs = pos;
                while (pos < t.Length && !IsSpace(t[pos])) pos++;
                RawValue = t[vs..pos];
                Quoting = FieldQuoting.None;
            }
            _pos = pos;
            return true;
        }
        _pos = t.Length;
        Key = default;
        RawValue = default;
        return false;
    }

    private static bool IsSpace(byte c) => c == (byte)' ' || c == (byte)'\t' || c == (byte)'\n' || c == (byte)'\r' || c == 0;

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
