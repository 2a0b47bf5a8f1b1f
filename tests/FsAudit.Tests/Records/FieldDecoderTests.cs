using FsAudit.Engine.Records;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

public class FieldDecoderTests
{
    [Theory]
    [InlineData("2F746D702F6120622E747874", new byte[] { 0x2F, 0x74, 0x6D, 0x70, 0x2F, 0x61, 0x20, 0x62, 0x2E, 0x74, 0x78, 0x74 })]
    [InlineData("00ff7Fa0", new byte[] { 0x00, 0xFF, 0x7F, 0xA0 })] // both cases
    [InlineData("", new byte[0])]
    public void Hex_decodes_into_the_destination(string hex, byte[] expected)
    {
        var dest = new byte[expected.Length + 4];
        Assert.True(FieldDecoder.TryDecodeHex(U8(hex), dest, out int written));
        Assert.Equal(expected, dest[..written]);
    }

    [Theory]
    [InlineData("ABC")]    // odd length
    [InlineData("4G41")]   // not a hex digit
    [InlineData("41 42")]  // a space
    [InlineData("41\u0661")] // a non-ASCII digit
    public void Bad_hex_is_refused_with_nothing_written(string hex)
    {
        var dest = new byte[8];
        Assert.False(FieldDecoder.TryDecodeHex(U8(hex), dest, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void A_destination_too_small_is_refused()
    {
        Assert.False(FieldDecoder.TryDecodeHex(U8("414243"), new byte[2], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Proctitle_nuls_become_spaces_and_names_decode_as_utf8()
    {
        Assert.Equal("touch a b", FieldDecoder.DecodeProctitle(U8("746F7563680061006200")));
        Assert.Equal("é.txt", FieldDecoder.DecodeString(U8("C3A92E747874")));
    }

    [Theory]
    [InlineData("\"touch\"")]          // quoted (a proctitle without spaces)
    [InlineData("/usr/bin/touch")]     // plain
    [InlineData("746F756368002F746D70")] // hex
    [InlineData("\"r\u00e9sum\u00e9\"")] // quoted non-ASCII
    public void Every_form_of_a_repeated_value_decodes_to_one_shared_string(string raw)
    {
        // The subscriber line's encoded-string cache is keyed by reference: a fresh string per event would miss it.
        var a = FieldDecoder.DecodeProctitle(U8(raw));
        var b = FieldDecoder.DecodeProctitle(U8(raw));
        Assert.NotNull(a);
        Assert.Same(a, b);
        Assert.Same(FieldDecoder.DecodeString(U8(raw)), FieldDecoder.DecodeString(U8(raw)));
    }
}
