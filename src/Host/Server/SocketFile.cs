using System.Net.Sockets;
using System.Text;
using Tmds.Linux;

namespace FsAudit.Host.Server;

/// <summary>Creating the listening socket file: stale-file handling, mode and group.</summary>
internal static class SocketFile
{
    /// <summary>
    /// Removes a socket left by a daemon that died; refuses when a daemon still answers on it or when the path
    /// is something other than a socket (never delete a user's file).
    /// </summary>
    public static void RemoveStale(string path)
    {
        bool? socket = IsSocket(path);
        if (socket is null) return;
        if (socket == false)
            throw new IOException($"{path} exists and is not a socket; refusing to replace it");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new IOException($"another process is already listening on {path} (is fsaudit running?)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
        }
    }

    /// <summary>lstat: null when nothing is there, else whether it is a socket (a symlink is not).</summary>
    private static unsafe bool? IsSocket(string path)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        stat st;
        fixed (byte* pp = p)
        {
            if (LibC.lstat(pp, &st) != 0) return null;
        }
        return LibC.S_ISSOCK(st.st_mode);
    }

    /// <summary>Applies mode and (optionally) group to the bound socket file.</summary>
    public static unsafe void ApplyAccess(string path, UnixFileMode mode, string? group)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            if (LibC.chmod(pp, (mode_t)(int)mode) != 0)
                throw new IOException($"cannot set mode {Convert.ToString((int)mode, 8)} on {path}: errno {LibC.errno}");
            if (group is null) return;
            uint gid = ResolveGroup(group);
            if (LibC.chown(pp, uint.MaxValue, gid) != 0) // uid -1: keep the owner
                throw new IOException($"cannot give {path} group {group}: errno {LibC.errno}");
        }
    }

    /// <summary>A group name from /etc/group, or a number.</summary>
    public static uint ResolveGroup(string group)
    {
        if (uint.TryParse(group, out uint gid)) return gid;
        if (File.Exists("/etc/group"))
            foreach (var line in File.ReadLines("/etc/group"))
            {
                var parts = line.Split(':');
                if (parts.Length >= 3 && parts[0] == group && uint.TryParse(parts[2], out gid)) return gid;
            }
        throw new ArgumentException($"unknown group \"{group}\" (fsaudit.subscribers.socket-group)");
    }
}
