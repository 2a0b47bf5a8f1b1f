namespace FsAudit.Engine.Kernel;

/// <summary>Linux errno numbers to their symbolic names (ENOENT, EACCES, ...).</summary>
public static partial class Errno
{
    /// <summary>Name for a positive or negative errno value, or null when unknown.</summary>
    public static string? Name(long errno)
    {
        if (errno == long.MinValue) return null; // Math.Abs would overflow; no errno is that large anyway
        long n = Math.Abs(errno);
        return n < ByNumber.Length && ByNumber[n].Length > 0 ? ByNumber[n] : null;
    }
}
