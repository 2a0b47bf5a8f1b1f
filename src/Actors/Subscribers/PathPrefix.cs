namespace FsAudit.Actors.Subscribers;

/// <summary>Subtree prefixes compared component-wise: /srv/data covers /srv/data and /srv/data/x, not /srv/database.</summary>
public static class PathPrefix
{
    /// <summary>
    /// The canonical form of a subscription path: absolute, "." and ".." resolved lexically, no duplicate or
    /// trailing '/' (except the root). Null when <paramref name="path"/> is not absolute.
    /// </summary>
    public static string? Normalize(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.Contains('\0')) return null;
        string full = Path.GetFullPath(path); // lexical on Unix: the file system is not consulted
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> (normalized) or lies below it.</summary>
    public static bool Covers(string prefix, string path)
    {
        if (prefix.Length == 1) return path.Length > 0 && path[0] == '/';
        return path.StartsWith(prefix, StringComparison.Ordinal)
            && (path.Length == prefix.Length || path[prefix.Length] == '/');
    }
}
