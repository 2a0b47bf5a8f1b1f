using FsAudit.Actors.Pipeline;

namespace FsAudit.Host.Daemon;

/// <summary>
/// Gives the daemon's threads a nice value of their own (<c>fsaudit.pipeline.daemon-nice</c>), as auditd's
/// <c>priority_boost</c> does for its process. Linux nice values are per thread, and a new thread inherits its
/// creator's, so threads created before this ran (the runtime's, the first pool workers) are reniced here and
/// again every second: any thread still at the nice value the process started with moves to the target.
/// Threads that chose their own value (the netlink reader, the niced catch-up threads) are left alone.
/// </summary>
/// <remarks>
/// Why: on a machine whose cores the audited workload saturates, a daemon at the workload's priority got too
/// little CPU at times, fell behind the kernel, spilled to disk and kept events alive long enough for the GC heap
/// to reach 400-500 MB; at nice -4 it kept up in every run (docs/benchmarks-log.md).
/// </remarks>
public sealed class DaemonThreadPriority : IDisposable
{
    private readonly int _target;
    private readonly int _baseline;
    private readonly Timer _timer;
    private readonly object _gate = new();
    private bool _warned;

    private readonly Func<IEnumerable<int>> _threads;

    private DaemonThreadPriority(int target, int baseline, TimeSpan period, Func<IEnumerable<int>> threads)
    {
        _target = target;
        _baseline = baseline;
        _threads = threads;
        Apply();
        _timer = new Timer(_ => Apply(), null, period, period);
    }

    /// <summary>Threads moved so far.</summary>
    public int Reniced { get; private set; }

    /// <summary>Why a thread could not be moved (first failure); null while all moves worked.</summary>
    public string? Failure { get; private set; }

    /// <summary>Starts renicing; null when <paramref name="nice"/> is 0 (leave every thread as inherited).</summary>
    /// <param name="threads">The thread ids to look at each round (tests); all of this process's by default.</param>
    public static DaemonThreadPriority? Start(int nice, TimeSpan? period = null, Func<IEnumerable<int>>? threads = null)
    {
        if (nice == 0 || !OperatingSystem.IsLinux()) return null;
        int baseline = ThreadNice.CurrentThread() ?? 0;
        return baseline == nice ? null : new DaemonThreadPriority(nice, baseline, period ?? TimeSpan.FromSeconds(1), threads ?? ProcessThreads);
    }

    private static IEnumerable<int> ProcessThreads()
    {
        string[] tasks;
        try { tasks = Directory.GetDirectories("/proc/self/task"); }
        catch (IOException) { yield break; }
        foreach (var dir in tasks)
            if (int.TryParse(Path.GetFileName(dir), out int tid)) yield return tid;
    }

    private void Apply()
    {
        lock (_gate)
        {
            foreach (int tid in _threads())
            {
                if (ThreadNice.Get(tid) != _baseline) continue;
                if (ThreadNice.TrySet(tid, _target) is { } failure)
                {
                    Failure ??= failure;
                    if (!_warned)
                    {
                        _warned = true;
                        Log.Warn($"daemon threads not reniced to {_target}: {failure}");
                    }
                }
                else Reniced++;
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
