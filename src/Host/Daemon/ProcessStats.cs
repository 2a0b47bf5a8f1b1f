namespace FsAudit.Host.Daemon;

/// <summary>This process's resident and peak resident memory, from /proc/self/status.</summary>
public static class ProcessStats
{
    public static (long RssBytes, long PeakRssBytes) Memory()
    {
        long rss = 0, peak = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
            }
        }
        catch (IOException) { }
        return (rss, peak);

        static long Kb(string line) =>
            long.TryParse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), out long kb) ? kb * 1024 : 0;
    }
}
