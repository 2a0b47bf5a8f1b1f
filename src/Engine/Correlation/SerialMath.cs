namespace FsAudit.Engine.Correlation;

/// <summary>
/// Comparison of 32-bit audit serials that survives rollover (RFC 1982 style): a serial is newer than
/// another when it is less than 2^31 steps ahead of it.
/// </summary>
public static class SerialMath
{
    /// <summary>Signed distance from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static int Distance(uint from, uint to) => unchecked((int)(to - from));

    public static bool IsNewer(uint candidate, uint than) => Distance(than, candidate) > 0;
}
