using System.Text;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Records;

/// <summary>
/// <see cref="RecordParser.TryParseHeader"/> reads the kernel's <c>audit(SEC.MS:SERIAL)</c> in one pass and falls back to
/// the general parse otherwise: both must give what the general parse alone gives.
/// </summary>
public class RecordHeaderReferenceTests
{
    private static void Same(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        bool ok = RecordParser.TryParseHeader(b, out long ms, out uint serial, out int fs, out string? err);
        bool rok = RecordParser.TryParseHeader(b, canonicalFirst: false, out long rms, out uint rserial, out int rfs, out string? rerr);
        Assert.True((rok, rms, rserial, rfs, rerr) == (ok, ms, serial, fs, err), s.Replace("\0", "\\0"));
    }

    [Theory]
    [InlineData("audit(1700000000.123:42): a=1")]
    [InlineData("audit(1700000000.1:4294967295): a=1")]
    [InlineData("audit(1700000000.12:4294967296): a=1")]
    [InlineData("audit(100000000000.999:1):")]
    [InlineData("audit(100000000001.0:1):")]
    [InlineData("audit(000000000000000000001700000000.123:42):  x")]
    [InlineData("audit(999999999999999999.1:1)")]
    [InlineData("audit(9999999999999999999.1:1)")]
    [InlineData("audit(+1700000000.123:42): a")]
    [InlineData("audit(-0.123:42): a")]
    [InlineData("audit(1700000000.1234:42): a")]
    [InlineData("audit(1700000000.:42): a")]
    [InlineData("audit(.1:42): a")]
    [InlineData("audit(1.1:): a")]
    [InlineData("audit(1.1:0000000000042) a")]
    [InlineData("audit(1.1:42\0): a")]
    [InlineData("audit(1\0.1:42): a")]
    [InlineData("audit(1.1\0:42): a")]
    [InlineData("audit(1:1.42): a")]
    [InlineData("audit(1.1:42")]
    [InlineData("audit(1.1:42)")]
    [InlineData("audit(1.1:42)::  a")]
    [InlineData("audit(")]
    [InlineData("audit(1.1:4 2): a")]
    [InlineData("type=SYSCALL audit(1.1:1): a")]
    public void Header_cases_parse_as_the_general_parse_did(string s) => Same(s);

    [Fact]
    public void Random_headers_parse_as_the_general_parse_did()
    {
        const string alphabet = "0123456789012345678901234567890123456789.:)+- \0x";
        var rng = new Random(5);
        var sb = new StringBuilder();
        for (int i = 0; i < 200_000; i++)
        {
            sb.Clear().Append("audit(");
            if (rng.Next(2) == 0) sb.Append(rng.NextInt64(0, 200_000_000_000)).Append('.').Append(rng.Next(0, 1000)).Append(':').Append((uint)rng.NextInt64(0, 5_000_000_000));
            int extra = rng.Next(0, 12);
            for (int k = 0; k < extra; k++)
            {
                int at = rng.Next(6, sb.Length + 1);
                sb.Insert(at, alphabet[rng.Next(alphabet.Length)]);
            }
            if (rng.Next(3) != 0) sb.Append("): a=1");
            Same(sb.ToString());
        }
    }
}
