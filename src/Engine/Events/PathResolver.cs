using System.Runtime.CompilerServices;

namespace FsAudit.Engine.Events;

/// <summary>
/// Makes PATH names absolute. The kernel logs the name the process passed (relative to its CWD for
/// AT_FDCWD lookups) and, for a PARENT item of a bare file name, the CWD itself. Normalization is
/// lexical ("." and ".." segments, repeated slashes); symlinks are not followed.
/// Stack buffers are not zeroed (<see cref="SkipLocalsInitAttribute"/>): only written chars are read, and
/// zeroing 2 KiB per call showed up in daemon profiles (two calls per relative PATH name).
/// </summary>
[SkipLocalsInit]
public static class PathResolver
{
    /// <summary>Joins a relative <paramref name="name"/> to <paramref name="directory"/>; absolute names are only normalized.</summary>
    public static string Resolve(string name, string? directory)
    {
        if (name.Length > 0 && name[0] == '/') return Normalize(name);
        if (string.IsNullOrEmpty(directory) || directory[0] != '/') return name;
        return Join(directory, name);
    }

    /// <summary>Lexically normalizes an absolute path; returns the same instance when already clean.</summary>
    public static string Normalize(string path)
    {
        if (IsClean(path)) return path;
        return Normalize(path.AsSpan());
    }

    private static string Normalize(ReadOnlySpan<char> path)
    {
        char[]? rented = null;
        Span<char> buf = path.Length + 1 <= 1024 ? stackalloc char[1024] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(path.Length + 1));
        try
        {
            int len = 0;
            int i = 0;
            while (i < path.Length)
            {
                while (i < path.Length && path[i] == '/') i++;
                int start = i;
                while (i < path.Length && path[i] != '/') i++;
                var seg = path[start..i];
                if (seg.IsEmpty || seg is ".") continue;
                if (seg is "..")
                {
                    // Drop the last kept segment.
                    while (len > 0 && buf[len - 1] != '/') len--;
                    if (len > 0) len--;
                    continue;
                }
                buf[len++] = '/';
                seg.CopyTo(buf[len..]);
                len += seg.Length;
            }
            if (len == 0) return "/";
            return StringCache.Get(buf[..len]);
        }
        finally
        {
            if (rented != null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>Joins and normalizes without building the intermediate string.</summary>
    private static string Join(string directory, string name)
    {
        int total = directory.Length + 1 + name.Length;
        char[]? rented = null;
        Span<char> buf = total <= 1024 ? stackalloc char[1024] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(total));
        try
        {
            directory.CopyTo(buf);
            buf[directory.Length] = '/';
            name.CopyTo(buf[(directory.Length + 1)..]);
            return Normalize(buf[..total]);
        }
        finally
        {
            if (rented != null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static bool IsClean(string p)
    {
        if (p.Length == 0 || p[0] != '/') return false;
        if (p.Length == 1) return true;
        if (p[^1] == '/') return false;
        // Every unclean case below needs a "//" or a "/." somewhere: two vectorized searches settle most names.
        if (p.AsSpan().IndexOf("//") < 0 && p.AsSpan().IndexOf("/.") < 0) return true;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] != '/') continue;
            // After a slash: another slash, "." or ".." segment makes it unclean.
            int next = i + 1;
            if (next < p.Length && p[next] == '/') return false;
            if (next < p.Length && p[next] == '.')
            {
                int after = next + 1;
                if (after == p.Length || p[after] == '/') return false;
                if (p[after] == '.' && (after + 1 == p.Length || p[after + 1] == '/')) return false;
            }
        }
        return true;
    }
}
