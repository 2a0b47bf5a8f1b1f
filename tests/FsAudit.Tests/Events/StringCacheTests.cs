using System.Text;
using FsAudit.Engine.Events;
using Xunit;

namespace FsAudit.Tests.Events;

public class StringCacheTests
{
    [Fact]
    public void Byte_lookups_return_the_value_and_reuse_it()
    {
        // Every length up to past the cache limit, ASCII and not: the string equals the UTF-8 decoding.
        var rng = new Random(3);
        for (int len = 0; len <= 300; len++)
        {
            var ascii = new byte[len];
            for (int i = 0; i < len; i++) ascii[i] = (byte)rng.Next(0x20, 0x7F);
            var a = StringCache.Get(ascii);
            Assert.Equal(Encoding.ASCII.GetString(ascii), a);
            if (len is > 0 and <= 256) Assert.Same(a, StringCache.Get((byte[])ascii.Clone()));

            var text = new string('\u00e9', len / 2) + new string('x', len - len / 2);
            var utf8 = Encoding.UTF8.GetBytes(text);
            Assert.Equal(Encoding.UTF8.GetString(utf8), StringCache.Get(utf8));
            Assert.Equal(text, StringCache.Get(text.AsSpan()));
        }
        Assert.Same(string.Empty, StringCache.Get(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void A_non_ascii_byte_anywhere_takes_the_decoding_path()
    {
        for (int len = 1; len <= 40; len++)
            for (int at = 0; at < len; at++)
            {
                var b = Enumerable.Repeat((byte)'a', len).ToArray();
                b[at] = 0xFF; // invalid UTF-8: decodes to U+FFFD, never to an ASCII string
                Assert.Equal(Encoding.UTF8.GetString(b), StringCache.Get(b));
            }
    }

    [Fact]
    public void Values_differing_in_one_byte_are_never_confused()
    {
        for (int len = 1; len <= 40; len++)
            for (int at = 0; at < len; at++)
            {
                var a = Enumerable.Repeat((byte)'a', len).ToArray();
                var b = (byte[])a.Clone();
                b[at] = (byte)'b';
                Assert.Equal(Encoding.ASCII.GetString(a), StringCache.Get(a));
                Assert.Equal(Encoding.ASCII.GetString(b), StringCache.Get(b));
                Assert.Equal(Encoding.ASCII.GetString(a), StringCache.Get(a));
            }
    }
}
