namespace FsAudit.Engine.Kernel;

/// <summary>Linux errno numbers to their symbolic names (ENOENT, EACCES, ...).</summary>
public static partial class Errno
{
    /// <summary>Name for a positive or negative errno value, or null when unknown.</summary>
    public static string? Name(long errno)
    {
        long n = Math.Abs(errno);
        return n < ByNumber.Length && ByNumber[n].Length > 0 ? ByNumber[n] : null;
    }
}
