using System.Buffers.Binary;
using System.Net.Sockets;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Host.Server;

/// <summary>Who is at the other end of a Unix socket, as the kernel recorded it at connect time.</summary>
public static class PeerCredentials
{
    private const int SolSocket = 1, SoPeerCred = 17, SoPeerGroups = 59;

    /// <summary>getsockopt(SO_PEERCRED): struct ucred { pid_t pid; uid_t uid; gid_t gid; }.</summary>
    public static SubscriberPeer Get(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        int n = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (n < 12) throw new SocketException((int)SocketError.ProtocolNotSupported);
        return new SubscriberPeer(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

    /// <summary>getsockopt(SO_PEERGROUPS, Linux 4.13+): the peer's supplementary groups; empty when unavailable.</summary>
    public static uint[] SupplementaryGroups(Socket socket)
    {
        foreach (int capacity in (int[])[256, 65536]) // NGROUPS_MAX is 65536; ERANGE means "larger buffer"
        {
            var buffer = new byte[capacity * 4];
            try
            {
                int n = socket.GetRawSocketOption(SolSocket, SoPeerGroups, buffer);
                var groups = new uint[n / 4];
                for (int i = 0; i < groups.Length; i++) groups[i] = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i * 4));
                return groups;
            }
            catch (SocketException) { }
        }
        return [];
    }
}

/// <summary>The socket's access rule: allowed uids, or allowed groups (primary or supplementary).</summary>
public sealed class PeerAccess(IReadOnlyList<uint> allowedUids, IReadOnlyList<uint> allowedGids)
{
    public bool Allows(SubscriberPeer peer, Func<uint[]> supplementaryGroups)
    {
        if (allowedUids.Contains(peer.Uid) || allowedGids.Contains(peer.Gid)) return true;
        return allowedGids.Count > 0 && supplementaryGroups().Any(allowedGids.Contains);
    }

    public string Refusal(SubscriberPeer peer) =>
        $"permission denied: uid {peer.Uid} (pid {peer.Pid}) is not allowed to use this socket; " +
        $"allowed uids [{string.Join(",", allowedUids)}], groups [{string.Join(",", allowedGids)}] " +
        "(fsaudit.subscribers.allowed-uids / allowed-gids)";
}
