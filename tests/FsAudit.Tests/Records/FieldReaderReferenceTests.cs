using System.Text;
using FsAudit.Engine.Records;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

/// <summary>
/// <see cref="FieldReader"/> (values found during the scan, separators found in 64-byte classified blocks) against the plain
/// byte-at-a-time reader it replaced, kept here as the reference: the same fields, values and quoting on random and
/// record-shaped input.
/// </summary>
public class FieldReaderReferenceTests
{
    /// <summary>The previous FieldReader.MoveNext, verbatim in behaviour.</summary>
    private ref struct ReferenceReader
    {
        private readonly ReadOnlySpan<byte> _text;
        private int _pos;

        public ReferenceReader(ReadOnlySpan<byte> fields) { _text = fields; _pos = 0; Key = default; RawValue = default; Quoting = FieldQuoting.None; }

        public ReadOnlySpan<byte> Key { get; private set; }
        public ReadOnlySpan<byte> RawValue { get; private set; }
        public FieldQuoting Quoting { get; private set; }
        public readonly ReadOnlySpan<byte> Value => Quoting == FieldQuoting.None ? RawValue : FieldDecoder.Unquote(RawValue);

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
                    while (pos < t.Length && !IsSpace(t[pos])) pos++;
                    continue;
                }
                Key = t[start..pos];
                pos++;
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
    }

    private static void Same(byte[] text)
    {
        var a = new FieldReader(text);
        var b = new ReferenceReader(text);
        int n = 0;
        while (true)
        {
            bool ma = a.MoveNext(), mb = b.MoveNext();
            Assert.True(ma == mb, $"field {n} of {Convert.ToHexString(text)}");
            if (!ma) break;
            Assert.True(a.Key.SequenceEqual(b.Key), $"key {n} of {Convert.ToHexString(text)}");
            Assert.True(a.RawValue.SequenceEqual(b.RawValue), $"raw {n} of {Convert.ToHexString(text)}");
            Assert.True(a.Value.SequenceEqual(b.Value), $"value {n} of {Convert.ToHexString(text)}");
            Assert.Equal(b.Quoting, a.Quoting);
            n++;
        }
        Assert.True(a.Key.IsEmpty && a.RawValue.IsEmpty && a.Value.IsEmpty);
        Assert.False(a.MoveNext());
    }

    [Fact]
    public void Random_bytes_read_the_same()
    {
        // Heavy on the bytes that matter: separators, '=', quotes, control bytes around ' ', high bytes.
        byte[] alphabet = [.. "aaaaaaaaaabcxyz0123456789_-:/.()?=========       \"\"''"u8, 0, 0, (byte)'\t', (byte)'\n', (byte)'\r',
            1, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xa0, 0xa1, 0xc3, 0xff];
        var rng = new Random(2024);
        for (int i = 0; i < 60_000; i++)
        {
            var text = new byte[rng.Next(0, 120)];
            for (int k = 0; k < text.Length; k++) text[k] = alphabet[rng.Next(alphabet.Length)];
            Same(text);
        }
    }

    [Fact]
    public void Long_random_text_across_many_classified_blocks_reads_the_same()
    {
        // FieldReader classifies 64 bytes at a time: texts of several blocks, with keys, values and quotes that
        // straddle the block edges at every offset.
        byte[] alphabet = [.. "aaaaaaaaaabcxyz0123456789=====          \"'"u8, 0, (byte)'\t', (byte)'\n', 1, 0x1f, 0x80, 0xff];
        var rng = new Random(64);
        for (int i = 0; i < 10_000; i++)
        {
            var text = new byte[rng.Next(60, 420)];
            for (int k = 0; k < text.Length; k++) text[k] = alphabet[rng.Next(alphabet.Length)];
            Same(text);
        }
    }

    [Fact]
    public void Record_shaped_fields_read_the_same()
    {
        var rng = new Random(99);
        string[] values = ["0", "4294967295", "c000003e", "\"perl\"", "\"/usr/bin/perl\"", "(null)", "?", "(none)", "",
            "\"unterminated", "'a b=c d'", "\"\"", Hex("/tmp/a b\n"), Hex(new string('x', 200)), "fe:00", "0100644", "-1", "x\u0001y", "ab\u001fcd"];
        string[] keys = ["arch", "syscall", "a0", "terminal", "nametype", "cap_frootid", "a_very_long_field_name", "k", "k\u00e9y", ""];
        string[] seps = [" ", "  ", "\t", "\n", "\0", " \0 ", "\r\n"];
        for (int i = 0; i < 20_000; i++)
        {
            var sb = new StringBuilder();
            int fields = rng.Next(0, 12);
            for (int f = 0; f < fields; f++)
            {
                if (f > 0 || rng.Next(4) == 0) sb.Append(seps[rng.Next(seps.Length)]);
                if (rng.Next(20) == 0) { sb.Append("(enforce)"); continue; }
                sb.Append(keys[rng.Next(keys.Length)]).Append('=').Append(values[rng.Next(values.Length)]);
            }
            if (rng.Next(3) == 0) sb.Append(seps[rng.Next(seps.Length)]);
            Same(U8(sb.ToString()));
        }
    }

    [Fact]
    public void Every_length_and_offset_around_word_edges_reads_the_same()
    {
        // Keys and values of 0..40 bytes placed at every offset, so each word boundary and tail is crossed.
        for (int pad = 0; pad < 9; pad++)
            for (int kl = 1; kl <= 20; kl++)
                for (int vl = 0; vl <= 40; vl++)
                    foreach (var end in new[] { "", " ", "\0", " z=1", "\u0001" })
                    {
                        var s = new string(' ', pad) + new string('k', kl) + "=" + new string('v', vl) + end;
                        Same(U8(s));
                        Same(U8(s.Replace('v', '\u0002')));
                    }
    }
}
