namespace FsAudit.Host.Bench;

/// <summary>
/// Which file system a path lives on, from <c>/proc/self/mountinfo</c>: the bench reports it beside its figures
/// because the workload's own speed (and the journal's, which lives in the same tree) depends on it — a tmpfs
/// <c>/tmp</c> and an ext4 data disk size a machine differently.
/// </summary>
public static class MountTable
{
    /// <summary>
    /// The file system type and mount point of <paramref name="path"/> (absolute; symbolic links are followed, as the
    /// kernel does), or null when not found.
    /// </summary>
    public static (string Type, string MountPoint)? Find(string path)
    {
        try
        {
            return Find(File.ReadAllText("/proc/self/mountinfo"), RealPath(path) ?? path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The deepest mount whose mount point contains <paramref name="path"/>; later lines win on ties (over-mounts).</summary>
    public static (string Type, string MountPoint)? Find(string mountinfo, string path)
    {
        (string Type, string MountPoint)? best = null;
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "36 35 98:0 /root /mnt rw,noatime master:1 - ext4 /dev/vda rw": the mount point is the 5th field,
            // the type the first after the " - " separator (optional fields before it vary in number).
            var fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 5 || dash + 1 >= fields.Length) continue;
            string mountPoint = Unescape(fields[4]);
            if (!Contains(mountPoint, path)) continue;
            if (best is null || mountPoint.Length >= best.Value.MountPoint.Length) best = (fields[dash + 1], mountPoint);
        }
        return best;
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>mountinfo writes space, tab, newline and backslash in paths as 3-digit octal escapes.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    /// <summary>The path with every symbolic link resolved (realpath(3)); null when it cannot be resolved.</summary>
    internal static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        IntPtr resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try { return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(resolved); }
        finally { free(resolved); }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
