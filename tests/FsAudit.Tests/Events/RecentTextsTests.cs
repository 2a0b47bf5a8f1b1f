using System.Text;
using FsAudit.Engine.Events;
using Xunit;

namespace FsAudit.Tests.Events;

public class RecentTextsTests
{
    private static T OnFreshThread<T>(Func<T> body)
    {
        T result = default!;
        var t = new Thread(() => result = body());
        t.Start();
        t.Join();
        return result;
    }

    private static byte[] U8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_text_found_again_outlives_texts_seen_once_and_one_never_found_again_does_not()
    {
        var (hitKept, unusedKept, value) = OnFreshThread(() =>
        {
            RecentTexts<int>.Remember(U8("ppid=1 pid=100"), 100);
            RecentTexts<int>.Remember(U8("ppid=1 pid=200"), 200);
            Assert.True(RecentTexts<int>.TryGet(U8("ppid=1 pid=100"), out _)); // found again: a second chance
            for (int i = 0; i < 4; i++) RecentTexts<int>.Remember(U8($"once {i}"), i);
            bool hit = RecentTexts<int>.TryGet(U8("ppid=1 pid=100"), out int v);
            bool unused = RecentTexts<int>.TryGet(U8("ppid=1 pid=200"), out _);
            return (hit, unused, v);
        });
        Assert.True(hitKept);
        Assert.Equal(100, value);
        Assert.False(unusedKept);
    }

    [Fact]
    public void Only_the_same_bytes_match()
    {
        var found = OnFreshThread(() =>
        {
            RecentTexts<string>.Remember(U8("ppid=1 pid=100 comm=\"a\""), "x");
            return (RecentTexts<string>.TryGet(U8("ppid=1 pid=100 comm=\"b\""), out _),
                RecentTexts<string>.TryGet(U8("ppid=1 pid=100 comm=\"a\" "), out _),
                RecentTexts<string>.TryGet(U8("ppid=1 pid=100 comm=\"a\""), out var same) && same == "x");
        });
        Assert.Equal((false, false, true), found);
    }
}
