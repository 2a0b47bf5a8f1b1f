using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace FsAudit.Engine.Records;

/// <summary>
/// Decoding of audit field values (UTF-8, as <see cref="FieldReader"/> yields them) as the kernel writes them. "Untrusted" strings (names, comm, exe,
/// cwd, proctitle, key, execve args) are written quoted when they are plain printable ASCII and as
/// upper-case hex otherwise (space, quote, control or non-ASCII bytes); <c>(null)</c> means no value.
/// Stack buffers are not zeroed (<see cref="System.Runtime.CompilerServices.SkipLocalsInitAttribute"/>): only the decoded part is read.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit]
public static class FieldDecoder
{
    /// <summary>Separator the kernel puts between several rule keys in one <c>key=</c> value.</summary>
    public const char KeySeparator = '\x01';

    private const int StackLimit = 512;

    /// <summary>True for a non-empty, even-length run of hex digits (a hex-encoded string).</summary>
    public static bool IsHex(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || (s.Length & 1) != 0) return false;
        return !s.ContainsAnyExcept(HexDigits);
    }

    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789ABCDEFabcdef"u8);

    /// <summary>Decodes a hex run into bytes; <paramref name="dest"/> must hold hex.Length / 2 bytes.</summary>
    public static bool TryDecodeHex(ReadOnlySpan<byte> hex, Span<byte> dest, out int written)
    {
        written = 0;
        if ((hex.Length & 1) != 0 || dest.Length < hex.Length / 2) return false;
        // The BCL's vectorized decoder: PROCTITLE and hex-encoded names made a per-character loop 2 % of the
        // daemon's CPU (perf, docs/benchmarks-log.md).
        if (Convert.FromHexString(hex, dest[..(hex.Length / 2)], out _, out written) == OperationStatus.Done) return true;
        written = 0;
        return false;
    }

    /// <summary>
    /// Decodes an untrusted-string value as written in the record: <c>"text"</c> → text, hex → its
    /// UTF-8 text, <c>(null)</c> → null. Anything else (<c>?</c>, odd unquoted tokens) is returned as is,
    /// like auparse does when unescaping fails.
    /// </summary>
    public static string? DecodeString(ReadOnlySpan<byte> raw) => Decode(raw, nulAsSpace: false);

    /// <summary>
    /// Decodes a PROCTITLE value: hex of the command line with NUL between arguments, shown with
    /// spaces (as ausearch -i does); trailing NULs dropped.
    /// </summary>
    public static string? DecodeProctitle(ReadOnlySpan<byte> raw) => Decode(raw, nulAsSpace: true);

    // Every form is interned through the string cache: values repeat (comm, exe, cwd, proctitles), and the subscriber
    // line's encoded-string cache is keyed by reference, so a fresh string per event would miss it every time.
    private static string? Decode(ReadOnlySpan<byte> raw, bool nulAsSpace)
    {
        if (raw.IsEmpty) return string.Empty;
        if (IsQuote(raw[0])) return Events.StringCache.Get(Unquote(raw));
        if (raw.SequenceEqual("(null)"u8)) return null;
        if (IsHex(raw)) return DecodeHexString(raw, nulAsSpace);
        return Events.StringCache.Get(raw);
    }

    private static bool IsQuote(byte b) => b == (byte)'"' || b == (byte)'\'';

    /// <summary>Strips one pair of surrounding quotes (or a leading quote of an unterminated value).</summary>
    public static ReadOnlySpan<byte> Unquote(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty || !IsQuote(raw[0])) return raw;
        byte q = raw[0];
        raw = raw[1..];
        return raw.Length > 0 && raw[^1] == q ? raw[..^1] : raw;
    }

    /// <summary>Appends the bytes a value stands for (hex decoded, or the quoted text as UTF-8).</summary>
    public static void AppendBytes(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        if (!raw.IsEmpty && !IsQuote(raw[0]) && IsHex(raw))
        {
            var span = output.GetSpan(raw.Length / 2);
            TryDecodeHex(raw, span, out int n);
            output.Advance(n);
            return;
        }
        output.Write(Unquote(raw));
    }

    private static string DecodeHexString(ReadOnlySpan<byte> hex, bool nulAsSpace)
    {
        int len = hex.Length / 2;
        byte[]? rented = null;
        Span<byte> bytes = len <= StackLimit ? stackalloc byte[len] : (rented = ArrayPool<byte>.Shared.Rent(len));
        try
        {
            TryDecodeHex(hex, bytes, out int n);
            var b = bytes[..n];
            if (nulAsSpace)
            {
                b = b.TrimEnd((byte)0);
                b.Replace((byte)0, (byte)' ');
            }
            return Events.StringCache.Get(b);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Splits a decoded key value on the kernel's 0x01 separator (several rule keys).</summary>
    public static string[] SplitKeys(string? decodedKey)
    {
        if (string.IsNullOrEmpty(decodedKey)) return [];
        if (decodedKey.IndexOf(KeySeparator) < 0) return [decodedKey];
        return decodedKey.Split(KeySeparator, StringSplitOptions.RemoveEmptyEntries);
    }

    // Integers are parsed straight from the bytes: the BCL's culture-aware parse (NumberFormatInfo lookup, style
    // checks) was 1 % of the daemon's CPU. The rules are the ones of the invariant BCL calls these replaced
    // (pinned by FieldNumberTests against them): ASCII digits only, no white space, hex without a prefix, leading
    // zeros of any length, overflow refused, and trailing NULs ignored as the BCL ignores them.

    /// <summary>Decimal with an optional leading '+' or '-' (<c>long.TryParse</c>, <c>NumberStyles.AllowLeadingSign</c>, invariant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty) return false;
        bool negative = false;
        int i = 0;
        if (s[0] == (byte)'-') { negative = true; i = 1; }
        else if (s[0] == (byte)'+') i = 1;
        if (!TryParseDigits(s, i, out ulong magnitude)) return false;
        if (negative)
        {
            if (magnitude > 1UL << 63) return false;
            value = (long)(0 - magnitude);
        }
        else
        {
            if (magnitude > long.MaxValue) return false;
            value = (long)magnitude;
        }
        return true;
    }

    /// <summary>Decimal digits only (<c>uint.TryParse</c>, <c>NumberStyles.None</c>, invariant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseUInt32(ReadOnlySpan<byte> s, out uint value)
    {
        if (TryParseDigits(s, 0, out ulong v) && v <= uint.MaxValue)
        {
            value = (uint)v;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>Decimal digits only (<c>ulong.TryParse</c>, <c>NumberStyles.None</c>, invariant).</summary>
    public static bool TryParseUInt64(ReadOnlySpan<byte> s, out ulong value)
    {
        if (TryParseDigits(s, 0, out value)) return true;
        value = 0;
        return false;
    }

    /// <summary>Hex digits of either case, no <c>0x</c> (<c>ulong.TryParse</c>, <c>NumberStyles.AllowHexSpecifier</c>, invariant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseHexUInt64(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        ulong v = 0;
        int i = 0;
        for (; i < s.Length; i++)
        {
            uint d = HexValue(s[i]);
            if (d > 15) break;
            if ((v >> 60) != 0) return false; // a 17th significant digit
            v = (v << 4) | d;
        }
        if (i == 0 || !OnlyNuls(s, i)) return false;
        value = v;
        return true;
    }

    /// <summary>
    /// One or more ASCII digits from <paramref name="start"/> to the end (or to trailing NULs) into a ulong; false when
    /// there are none, something else follows, or the value does not fit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseDigits(ReadOnlySpan<byte> s, int start, out ulong value)
    {
        value = 0;
        ulong v = 0;
        int i = start;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) break;
            // ulong.MaxValue is 18446744073709551615: more would not fit.
            if (v >= 1844674407370955161UL && (v > 1844674407370955161UL || d > 5)) return false;
            v = v * 10 + d;
        }
        if (i == start || !OnlyNuls(s, i)) return false;
        value = v;
        return true;
    }

    /// <summary>True when <paramref name="s"/> from <paramref name="i"/> on is empty or all NUL (the BCL parsers ignore trailing NULs).</summary>
    private static bool OnlyNuls(ReadOnlySpan<byte> s, int i) => i == s.Length || s.Slice(i).IndexOfAnyExcept((byte)0) < 0;

    private static uint HexValue(byte c)
    {
        uint d = (uint)(c - '0');
        if (d <= 9) return d;
        d = (uint)((c | 0x20) - 'a'); // folds 'A'..'F' onto 'a'..'f'
        return d <= 5 ? d + 10 : 16;
    }

    /// <summary>Octal, as PATH's <c>mode=0100644</c>.</summary>
    public static bool TryParseOctalUInt32(ReadOnlySpan<byte> s, out uint value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 11) return false;
        ulong v = 0;
        foreach (byte c in s)
        {
            uint d = (uint)(c - '0');
            if (d > 7) return false;
            v = (v << 3) | d;
        }
        if (v > uint.MaxValue) return false;
        value = (uint)v;
        return true;
    }
}
