using System.Globalization;

namespace FsAudit.Engine.Enrichment;

/// <summary>
/// Reads a live process's executable and cgroup from /proc, cached per pid for a short time to live (pids are
/// reused, and a process can exec). Best effort: the process may have exited before the event is enriched,
/// and reading another user's <c>exe</c> link needs CAP_SYS_PTRACE; either gives null, counted in <see cref="Failures"/>.
/// </summary>
public sealed class ProcessInfo
{
    private readonly string _procRoot;
    private readonly BoundedCache<int, string?> _exe;
    private readonly BoundedCache<int, CgroupInfo?> _cgroup;
    private long _reads, _failures;

    public ProcessInfo(string procRoot = "/proc", int capacity = 4096, TimeSpan? timeToLive = null, TimeProvider? time = null)
    {
        _procRoot = procRoot;
        var ttl = timeToLive ?? TimeSpan.FromSeconds(5);
        _exe = new BoundedCache<int, string?>(capacity, ttl, time);
        _cgroup = new BoundedCache<int, CgroupInfo?>(capacity, ttl, time);
    }

    /// <summary>/proc reads done (cache misses).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>/proc reads that found nothing (process gone, no permission).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public long CacheHits => _exe.Hits + _cgroup.Hits;

    /// <summary>The target of <c>/proc/PID/exe</c> (ends in " (deleted)" when the file was removed), or null.</summary>
    public string? Exe(int pid) => pid > 0 ? _exe.GetOrAdd(pid, ReadExe) : null;

    public CgroupInfo? Cgroup(int pid) => pid > 0 ? _cgroup.GetOrAdd(pid, ReadCgroup) : null;

    private string PidPath(int pid, string entry) =>
        Path.Join(_procRoot, pid.ToString(CultureInfo.InvariantCulture), entry);

    private string? ReadExe(int pid)
    {
        Interlocked.Increment(ref _reads);
        try
        {
            if (new FileInfo(PidPath(pid, "exe")).LinkTarget is { } target) return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        Interlocked.Increment(ref _failures);
        return null;
    }

    private CgroupInfo? ReadCgroup(int pid)
    {
        Interlocked.Increment(ref _reads);
        try
        {
            if (CgroupInfo.Parse(File.ReadAllText(PidPath(pid, "cgroup"))) is { } info) return info;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        Interlocked.Increment(ref _failures);
        return null;
    }
}
