using System.Globalization;
using System.Text;
using FsAudit.Engine.Records;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

/// <summary>
/// Pins the integer parsing of field values (parsed straight from the record's bytes) to what the BCL's invariant
/// <c>TryParse</c> calls it replaced accept: sign rules, overflow, leading zeros, hex without a prefix, trailing NULs.
/// </summary>
public class FieldNumberTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("+0", 0L)]
    [InlineData("+5", 5L)]
    [InlineData("-5", -5L)]
    [InlineData("007", 7L)]
    [InlineData("-007", -7L)]
    [InlineData("4294967295", 4294967295L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("0000000000000000000000009223372036854775807", long.MaxValue)]
    [InlineData("-0000000000000000000000009223372036854775808", long.MinValue)]
    [InlineData("12\0", 12L)]   // the BCL ignores trailing NULs
    [InlineData("-3\0\0", -3L)]
    public void Int64_accepts(string s, long expected)
    {
        Assert.True(FieldDecoder.TryParseInt64(U8(s), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("+")]
    [InlineData("-")]
    [InlineData("+-5")]
    [InlineData("-+5")]
    [InlineData("--5")]
    [InlineData("++5")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("5-")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    [InlineData("1.0")]
    [InlineData("1,000")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("99999999999999999999")]
    [InlineData("18446744073709551616")]
    [InlineData("\u0661")]   // Arabic-Indic digit one
    [InlineData("１")]       // fullwidth digit one
    [InlineData("\0")]
    [InlineData("\05")]
    [InlineData("5\0x")]
    [InlineData("(5)")]
    [InlineData("?")]
    [InlineData("(null)")]
    public void Int64_rejects(string s) => Assert.False(FieldDecoder.TryParseInt64(U8(s), out _));

    [Theory]
    [InlineData("0", 0u)]
    [InlineData("1000", 1000u)]
    [InlineData("4294967295", uint.MaxValue)] // the kernel's "unset"
    [InlineData("0004294967295", uint.MaxValue)]
    [InlineData("7\0", 7u)]
    public void UInt32_accepts(string s, uint expected)
    {
        Assert.True(FieldDecoder.TryParseUInt32(U8(s), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("-0")]
    [InlineData("4294967296")]
    [InlineData("9999999999")]
    [InlineData("42949672950")]
    [InlineData("1a")]
    [InlineData("a1")]
    [InlineData("0x1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("\0")]
    [InlineData("\u0661")]
    public void UInt32_rejects(string s) => Assert.False(FieldDecoder.TryParseUInt32(U8(s), out _));

    [Theory]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData("11673885", 11673885UL)]
    [InlineData("000018446744073709551615", ulong.MaxValue)]
    public void UInt64_accepts(string s, ulong expected)
    {
        Assert.True(FieldDecoder.TryParseUInt64(U8(s), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("18446744073709551616")]
    [InlineData("99999999999999999999")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1x")]
    public void UInt64_rejects(string s) => Assert.False(FieldDecoder.TryParseUInt64(U8(s), out _));

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("c000003e", 0xC000003EUL)]
    [InlineData("C000003E", 0xC000003EUL)]
    [InlineData("fFfF", 0xFFFFUL)]
    [InlineData("ffffffffffffffff", ulong.MaxValue)]
    [InlineData("ffffffffffffff9c", 0xFFFFFFFFFFFFFF9CUL)]
    [InlineData("0000000000000000000ffffffffffffffff", ulong.MaxValue)] // leading zeros do not count
    [InlineData("a\0", 0xAUL)]
    public void Hex_accepts(string s, ulong expected)
    {
        Assert.True(FieldDecoder.TryParseHexUInt64(U8(s), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x10")]   // no prefix, as today
    [InlineData("0X10")]
    [InlineData("x10")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("g")]
    [InlineData("1g")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("10000000000000000")]  // 17 significant digits: overflow
    [InlineData("1ffffffffffffffff")]
    [InlineData("\0")]
    [InlineData("\u0661")]
    public void Hex_rejects(string s) => Assert.False(FieldDecoder.TryParseHexUInt64(U8(s), out _));

    [Theory]
    [InlineData("0", 0u)]
    [InlineData("7", 7u)]
    [InlineData("0100644", 0x81A4u)]
    [InlineData("040700", 0x41C0u)]
    [InlineData("37777777777", uint.MaxValue)]
    [InlineData("00000000001", 1u)] // 11 digits is the longest accepted
    public void Octal_accepts(string s, uint expected)
    {
        Assert.True(FieldDecoder.TryParseOctalUInt32(U8(s), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("8")]
    [InlineData("0800")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("40000000000")]  // > uint.MaxValue
    [InlineData("000000000001")] // 12 digits: longer than any mode
    [InlineData("1 ")]
    [InlineData("1\0")]          // our own loop never allowed trailing NULs
    public void Octal_rejects(string s) => Assert.False(FieldDecoder.TryParseOctalUInt32(U8(s), out _));

    /// <summary>Random short tokens from number-ish bytes, compared with the BCL parse the byte parsers replaced.</summary>
    [Fact]
    public void Agrees_with_the_invariant_BCL_parse_on_random_tokens()
    {
        const string alphabet = "0123456789012345678901234567890123456789abcdefABCDEF+-x \0.9";
        var rng = new Random(12345);
        var buf = new StringBuilder();
        for (int i = 0; i < 200_000; i++)
        {
            buf.Clear();
            int len = rng.Next(0, 24);
            // Mostly digits, sometimes near the overflow boundaries.
            if (rng.Next(8) == 0) buf.Append(rng.Next(4) switch { 0 => "9223372036854775", 1 => "18446744073709551", 2 => "429496729", _ => "fffffffffffffff" });
            for (int k = 0; k < len; k++) buf.Append(alphabet[rng.Next(alphabet.Length)]);
            Check(buf.ToString());
        }
        foreach (var s in new[] { "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                     "18446744073709551615", "18446744073709551616", "4294967295", "4294967296", "ffffffffffffffff", "10000000000000000" })
            Check(s);

        static void Check(string s)
        {
            var u8 = Encoding.UTF8.GetBytes(s);
            var inv = CultureInfo.InvariantCulture;
            Assert.Equal(long.TryParse(u8, NumberStyles.AllowLeadingSign, inv, out var l) ? l : (long?)null,
                FieldDecoder.TryParseInt64(u8, out var l2) ? l2 : null);
            Assert.Equal(uint.TryParse(u8, NumberStyles.None, inv, out var u) ? u : (uint?)null,
                FieldDecoder.TryParseUInt32(u8, out var u2) ? u2 : null);
            Assert.Equal(ulong.TryParse(u8, NumberStyles.None, inv, out var ul) ? ul : (ulong?)null,
                FieldDecoder.TryParseUInt64(u8, out var ul2) ? ul2 : null);
            Assert.Equal(ulong.TryParse(u8, NumberStyles.AllowHexSpecifier, inv, out var h) ? h : (ulong?)null,
                FieldDecoder.TryParseHexUInt64(u8, out var h2) ? h2 : null);
        }
    }
}
