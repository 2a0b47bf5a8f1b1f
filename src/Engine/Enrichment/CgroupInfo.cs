namespace FsAudit.Engine.Enrichment;

/// <summary>A process's cgroup (the unified v2 path, else the first v1 one) and the container id found in it.</summary>
public sealed record CgroupInfo(string Path, string? ContainerId)
{
    private const int IdLength = 64;

    /// <summary>
    /// Parses the content of <c>/proc/PID/cgroup</c> (<c>hierarchy:controllers:path</c> lines). The container id
    /// is the innermost 64-hex-digit name segment, which is how docker (<c>/docker/ID</c>, <c>docker-ID.scope</c>),
    /// containerd (<c>cri-containerd-ID.scope</c>), CRI-O (<c>crio-ID.scope</c>) and podman (<c>libpod-ID.scope</c>)
    /// name a container's cgroup. Null when the content has no cgroup line.
    /// </summary>
    public static CgroupInfo? Parse(ReadOnlySpan<char> content)
    {
        ReadOnlySpan<char> chosen = default;
        bool found = false;
        foreach (var range in content.Split('\n'))
        {
            var line = content[range].TrimEnd('\r');
            int c1 = line.IndexOf(':');
            if (c1 < 0) continue;
            int c2 = line[(c1 + 1)..].IndexOf(':');
            if (c2 < 0) continue;
            var path = line[(c1 + 1 + c2 + 1)..];
            bool unified = line[..c1] is "0" && c2 == 0;
            if (unified || !found)
            {
                chosen = path;
                found = true;
                if (unified) break;
            }
        }
        if (!found) return null;
        return new CgroupInfo(chosen.ToString(), ContainerIdIn(chosen));
    }

    /// <summary>The last run of exactly 64 hex digits in <paramref name="path"/>, lower-cased; null when none.</summary>
    public static string? ContainerIdIn(ReadOnlySpan<char> path)
    {
        int end = path.Length;
        while (end > 0)
        {
            int stop = end;
            while (stop > 0 && !char.IsAsciiHexDigit(path[stop - 1])) stop--;
            int start = stop;
            while (start > 0 && char.IsAsciiHexDigit(path[start - 1])) start--;
            if (stop - start == IdLength) return path[start..stop].ToString().ToLowerInvariant();
            end = start;
        }
        return null;
    }
}
