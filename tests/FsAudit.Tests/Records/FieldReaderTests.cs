using Xunit;
using FsAudit.Engine.Records;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

public class FieldReaderTests
{
    private static List<(string Key, string Raw, FieldQuoting Q)> All(string fields)
    {
        var list = new List<(string, string, FieldQuoting)>();
        var r = new FieldReader(U8(fields));
        while (r.MoveNext()) list.Add((Str(r.Key), Str(r.RawValue), r.Quoting));
        return list;
    }

    [Fact]
    public void Enumerates_unquoted_quoted_hex_null_and_unknown_values()
    {
        var hexName = Hex("/tmp/a b\n");
        var fields = $"item=0 name={hexName} comm=\"my prog\" exe=(null) hostname=? key=\"k\"";
        // A quoted value never contains spaces from the kernel, but a quoted user-space value can.
        var all = All(fields);
        Assert.Equal(["item", "name", "comm", "exe", "hostname", "key"], all.Select(a => a.Key));
        Assert.Equal("\"my prog\"", all[2].Raw);
        Assert.Equal(FieldQuoting.Double, all[2].Q);

        var r = new FieldReader(U8(fields));
        Assert.True(r.MoveNext()); Assert.Equal("0", Str(r.Value));
        Assert.True(r.MoveNext()); Assert.Equal("/tmp/a b\n", r.DecodeString());
        Assert.True(r.MoveNext()); Assert.Equal("my prog", r.DecodeString()); Assert.Equal("my prog", Str(r.Value));
        Assert.True(r.MoveNext()); Assert.True(r.IsNull); Assert.Null(r.DecodeString());
        Assert.True(r.MoveNext()); Assert.True(r.IsUnknown); Assert.Equal("?", r.DecodeString());
        Assert.True(r.MoveNext()); Assert.Equal("k", r.DecodeString());
        Assert.False(r.MoveNext());
        Assert.False(r.MoveNext());
    }

    [Fact]
    public void Nested_user_message_fields_are_enumerable()
    {
        var fields = "pid=4242 uid=0 auid=1000 ses=3 subj=unconfined msg='op=PAM:session_open grantors=pam_unix acct=\"root\" exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=/dev/pts/0 res=success'";
        var r = new FieldReader(U8(fields));
        string? op = null, acct = null, res = null, terminal = null;
        bool sawMsg = false;
        while (r.MoveNext())
        {
            if (!r.KeyIs("msg"u8)) continue;
            sawMsg = true;
            Assert.Equal(FieldQuoting.Single, r.Quoting);
            var inner = r.Nested();
            while (inner.MoveNext())
            {
                switch (Str(inner.Key))
                {
                    case "op": op = Str(inner.Value); break;
                    case "acct": acct = inner.DecodeString(); break;
                    case "res": res = Str(inner.Value); break;
                    case "terminal": terminal = Str(inner.Value); break;
                }
            }
        }
        Assert.True(sawMsg);
        Assert.Equal("PAM:session_open", op);
        Assert.Equal("root", acct);
        Assert.Equal("success", res);
        Assert.Equal("/dev/pts/0", terminal);
    }

    [Fact]
    public void Garbage_tokens_are_skipped_and_unterminated_quotes_run_to_the_end()
    {
        var all = All("  noequals =novalue a=1 subj=/usr/bin/x (enforce) b=\"unterminated value");
        Assert.Equal(["a", "subj", "b"], all.Select(a => a.Key));
        Assert.Equal("\"unterminated value", all[2].Raw);
        var r = new FieldReader(U8("b=\"unterminated value"));
        Assert.True(r.MoveNext());
        Assert.Equal("unterminated value", Str(r.Value));
        Assert.Empty(All(""));
        Assert.Empty(All("   "));
        Assert.Equal(["k"], All("k=").Select(a => a.Key));
        Assert.Equal("", All("k=")[0].Raw);
    }

    [Fact]
    public void Keys_for_a_switch_are_widened_into_the_scratch_or_empty_when_they_do_not_fit()
    {
        var r = new FieldReader(U8("syscall=2 a_very_long_field_name=1 k\u00e9y=3"));
        Span<char> scratch = stackalloc char[16];
        Assert.True(r.MoveNext()); Assert.Equal("syscall", r.KeyChars(scratch).ToString());
        Assert.True(r.MoveNext()); Assert.True(r.KeyChars(scratch).IsEmpty);
        Assert.True(r.MoveNext()); Assert.True(r.KeyChars(scratch).IsEmpty); // not ASCII: matches no field name
        Assert.Equal("k\u00e9y", Str(r.Key));
    }

    [Fact]
    public void TryFind_finds_first_occurrence()
    {
        Assert.True(FieldReader.TryFind(U8("a=1 cwd=\"/root\" cwd=\"/x\""), U8("cwd"), out var v));
        Assert.Equal("\"/root\"", Str(v));
        Assert.False(FieldReader.TryFind(U8("a=1"), U8("cwd"), out _));
    }

    [Fact]
    public void Proctitle_hex_with_nul_separators_becomes_spaces()
    {
        var raw = Hex("/bin/sh\0-c\0echo hi\0");
        Assert.Equal("/bin/sh -c echo hi", FieldDecoder.DecodeProctitle(U8(raw)));
        Assert.Equal("bash", FieldDecoder.DecodeProctitle(U8("\"bash\"")));
        Assert.Equal("bash", FieldDecoder.DecodeProctitle(U8(Hex("bash"))));
    }

    [Fact]
    public void Keys_joined_by_0x01_split_into_several()
    {
        var raw = Hex("etc-write\u0001identity");
        var decoded = FieldDecoder.DecodeString(U8(raw));
        Assert.Equal(["etc-write", "identity"], FieldDecoder.SplitKeys(decoded));
        Assert.Equal(["solo"], FieldDecoder.SplitKeys("solo"));
        Assert.Empty(FieldDecoder.SplitKeys(null));
    }

    [Theory]
    [InlineData("C3A9", "é")]              // non-ASCII UTF-8
    [InlineData("2F746D702F22712022", "/tmp/\"q \"")] // a quote inside forces hex
    [InlineData("616263", "abc")]
    [InlineData("61626", "61626")]        // odd length: not hex, kept as written
    [InlineData("zz", "zz")]
    public void Hex_decoding(string raw, string expected) => Assert.Equal(expected, FieldDecoder.DecodeString(U8(raw)));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-2", -2L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Int64_parses(string s, long v)
    {
        Assert.True(FieldDecoder.TryParseInt64(U8(s), out var x));
        Assert.Equal(v, x);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("9223372036854775808")]
    [InlineData("12a")]
    public void Int64_rejects(string s) => Assert.False(FieldDecoder.TryParseInt64(U8(s), out _));

    [Fact]
    public void Other_number_forms()
    {
        Assert.True(FieldDecoder.TryParseHexUInt64(U8("c000003e"), out var arch)); Assert.Equal(0xC000003EUL, arch);
        Assert.True(FieldDecoder.TryParseHexUInt64(U8("ffffffffffffffff"), out var big)); Assert.Equal(ulong.MaxValue, big);
        Assert.False(FieldDecoder.TryParseHexUInt64(U8("1ffffffffffffffff"), out _));
        Assert.True(FieldDecoder.TryParseOctalUInt32(U8("0100644"), out var mode)); Assert.Equal(0x81A4u, mode);
        Assert.False(FieldDecoder.TryParseOctalUInt32(U8("0800"), out _));
        Assert.True(FieldDecoder.TryParseUInt32(U8("4294967295"), out var unset)); Assert.Equal(uint.MaxValue, unset);
        Assert.False(FieldDecoder.TryParseUInt32(U8("4294967296"), out _));
    }
}
