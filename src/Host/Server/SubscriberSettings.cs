namespace FsAudit.Host.Server;

/// <summary>
/// The local socket and its subscribers (<c>fsaudit.socket-path</c> and <c>fsaudit.subscribers</c>).
/// Defaults: root only, 64 subscribers, 64 KiB request lines, 4 MiB outbound buffer per subscriber.
/// </summary>
/// <param name="SocketMode">File mode of the socket; connecting needs write permission.</param>
/// <param name="SocketGroup">Group name or number the socket file is given; null keeps the daemon's group.</param>
/// <param name="AllowedUids">Peer uids (SO_PEERCRED) allowed to use the socket.</param>
/// <param name="AllowedGids">Peer groups allowed: the peer's primary gid or any supplementary group (SO_PEERGROUPS).</param>
/// <param name="MaxRequestBytes">Longest request line accepted, newline excluded.</param>
/// <param name="BufferBytes">Per-subscriber outbound buffer; beyond it the subscriber's events are dropped and reported as a gap.</param>
/// <param name="RequestTimeout">How long a new connection may take to send its request line.</param>
/// <param name="RecentWindowBytes">Recent published events kept for subscribers that fall a little behind (0 = none).</param>
/// <param name="TotalBufferBytes">All subscribers' outbound buffers together (each gets an equal share up to BufferBytes; 0 = no total).</param>
/// <param name="StallTime">How long a subscriber may take nothing before it counts as stalled (no window kept for it); null = OutboundBuffer's 1 s. Not a config key: tests set it.</param>
public sealed record SubscriberSettings(
    string SocketPath,
    UnixFileMode SocketMode,
    string? SocketGroup,
    IReadOnlyList<uint> AllowedUids,
    IReadOnlyList<uint> AllowedGids,
    int MaxSubscribers,
    int MaxRequestBytes,
    long BufferBytes,
    TimeSpan RequestTimeout,
    long RecentWindowBytes = SubscriberSettings.DefaultRecentWindowBytes,
    long TotalBufferBytes = SubscriberSettings.DefaultTotalBufferBytes,
    TimeSpan? StallTime = null)
{
    public const long DefaultTotalBufferBytes = 64L * 1024 * 1024;
    public const long DefaultRecentWindowBytes = 8L * 1024 * 1024;

    public static SubscriberSettings Defaults(string socketPath) => new(
        socketPath,
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
        null,
        [0],
        [],
        MaxSubscribers: 64,
        MaxRequestBytes: 64 * 1024,
        BufferBytes: 4L * 1024 * 1024,
        RequestTimeout: TimeSpan.FromSeconds(30));

    /// <summary>Parses an octal mode such as "0660"; null when it is not one.</summary>
    public static UnixFileMode? ParseMode(string octal)
    {
        if (octal.Length is 0 or > 4) return null;
        int mode = 0;
        foreach (char c in octal)
        {
            if (c is < '0' or > '7') return null;
            mode = mode * 8 + (c - '0');
        }
        return (UnixFileMode)mode;
    }
}
