using FsAudit.Engine.Events;
using Xunit;

namespace FsAudit.Tests.Events;

/// <summary>Normalize returns a clean path itself: the quick "no // and no /." test must agree with the full check.</summary>
public class PathResolverCleanTests
{
    /// <summary>Clean, said differently: absolute, and no segment after the root is empty, "." or "..".</summary>
    private static bool ReferenceIsClean(string p) =>
        p.StartsWith('/') && (p.Length == 1 || p.Split('/').Skip(1).All(seg => seg is not ("" or "." or "..")));

    [Fact]
    public void Every_short_path_of_slashes_dots_and_letters_is_judged_as_before()
    {
        // All strings of length 1..8 over "/.a" (9840 of them), plus longer random ones.
        const string alphabet = "/.a";
        var rng = new Random(11);
        var cases = new List<string>();
        for (int len = 1; len <= 8; len++)
        {
            int total = (int)Math.Pow(3, len);
            for (int n = 0; n < total; n++)
            {
                var c = new char[len];
                for (int k = 0, v = n; k < len; k++, v /= 3) c[k] = alphabet[v % 3];
                cases.Add(new string(c));
            }
        }
        for (int i = 0; i < 20_000; i++)
        {
            var c = new char[rng.Next(9, 80)];
            for (int k = 0; k < c.Length; k++) c[k] = "/./..abc-_"[rng.Next(10)];
            c[0] = '/';
            cases.Add(new string(c));
        }
        foreach (var p in cases)
        {
            if (p[0] != '/') continue; // Normalize takes absolute paths
            var n = PathResolver.Normalize(p);
            Assert.True(ReferenceIsClean(p) == ReferenceEquals(n, p), p);
            Assert.True(ReferenceIsClean(n), $"{p} -> {n}");
        }
    }
}
