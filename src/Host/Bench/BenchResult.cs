namespace FsAudit.Host.Bench;

/// <summary>One mode measured with one writer count. Nullable figures are those the mode cannot tell.</summary>
public sealed record BenchResult
{
    public required BenchMode Mode { get; init; }
    public required int Writers { get; init; }
    /// <summary>Set when the measurement failed or was skipped; the figures are then absent.</summary>
    public string? Error { get; init; }

    public long Iterations { get; init; }
    public double IterationsPerSecond { get; init; }
    public double WorkloadSeconds { get; init; }
    /// <summary>Failed syscalls in the writers (should be 0).</summary>
    public long WorkerErrors { get; init; }
    /// <summary>Events the workload made the kernel produce: iterations × events per iteration.</summary>
    public long WorkloadEvents { get; init; }

    public long? Records { get; init; }
    public long? Events { get; init; }
    /// <summary>Received per second, from "go" until the reader's last record.</summary>
    public double? RecordsPerSecond { get; init; }
    public double? EventsPerSecond { get; init; }

    /// <summary>Growth of the kernel's lost counter during the measurement.</summary>
    public long? KernelLost { get; init; }
    /// <summary>Highest kernel backlog seen by sampling the status about every 100 ms.</summary>
    public uint? PeakBacklog { get; init; }

    /// <summary>The reader's CPU (user+system) between "go" and the end of draining.</summary>
    public double? CpuSeconds { get; init; }
    public long? PeakRssBytes { get; init; }

    /// <summary>
    /// Growth of the kernel's backlog_wait_time_actual: jiffies producers slept waiting for room in a full
    /// backlog. The kernel can miss the wake-up and let a producer sleep the whole backlog_wait_time even
    /// after the queue drained, so a large value with a low peak backlog means such a stall.
    /// </summary>
    public long? BacklogWaitJiffies { get; init; }

    /// <summary>CPU of the writer processes during their loop (syscalls, including the kernel's audit work in their context).</summary>
    public double? WriterCpuSeconds { get; init; }
    /// <summary>CPU of the kernel thread kauditd (it sends the queued records to the daemon).</summary>
    public double? KauditdCpuSeconds { get; init; }
    /// <summary>
    /// Average cores busy with anything else during the measurement (machine busy time minus writers, reader,
    /// bench and kauditd): above ~0.1 the figures were disturbed by other work on the machine.
    /// </summary>
    public double? OtherCpuCores { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>CPU seconds per 100,000 events: of the events the reader counted, else of those the workload produced.</summary>
    public double? CpuPer100kEvents =>
        CpuSeconds is { } cpu && (Events is > 0 ? Events : WorkloadEvents) is { } n && n > 0 ? cpu / n * 100_000 : null;
}

/// <summary>fsaudit's iterations/s relative to the other readers, for one writer count; null where a side is missing.</summary>
public sealed record BenchRatios(int Writers, double? FsAuditVsDrain, double? FsAuditVsAuditd, double? FsAuditVsAuditdNoLog)
{
    public static IReadOnlyList<BenchRatios> Compute(IEnumerable<BenchResult> results)
    {
        var ok = results.Where(r => r.Error is null).ToList();
        return ok.Select(r => r.Writers).Distinct().Select(w =>
        {
            double? Rate(BenchMode m) => ok.FirstOrDefault(r => r.Writers == w && r.Mode == m) is { IterationsPerSecond: > 0 } r ? r.IterationsPerSecond : null;
            double? Ratio(double? a, double? b) => a is { } x && b is { } y ? x / y : null;
            var fsaudit = Rate(BenchMode.FsAudit);
            return new BenchRatios(w, Ratio(fsaudit, Rate(BenchMode.Drain)), Ratio(fsaudit, Rate(BenchMode.Auditd)),
                Ratio(fsaudit, Rate(BenchMode.AuditdNoLog)));
        }).ToList();
    }
}

/// <summary>One of the targets for fsaudit, checked against a measurement.</summary>
public sealed record TargetCheck(int Writers, string Target, bool Met, string Actual)
{
    public const double DrainFraction = 0.9;
    public const long MaxPeakRssBytes = 200L * 1024 * 1024;

    /// <summary>
    /// 0 kernel lost; iterations/s ≥ 0.9 × drain and ≥ auditd (logging); peak RSS ≤ 200 MB. A target whose
    /// inputs were not measured is left out.
    /// </summary>
    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<BenchResult> results, uint backlogLimit)
    {
        var checks = new List<TargetCheck>();
        var ratios = BenchRatios.Compute(results);
        foreach (var f in results.Where(r => r.Mode == BenchMode.FsAudit && r.Error is null))
        {
            int w = f.Writers;
            if (f.KernelLost is { } lost)
                checks.Add(new(w, $"0 kernel lost at backlog {backlogLimit}", lost == 0, $"{lost} lost"));
            var ratio = ratios.FirstOrDefault(r => r.Writers == w);
            if (ratio?.FsAuditVsDrain is { } d)
                checks.Add(new(w, $"iterations/s >= {DrainFraction} x drain", d >= DrainFraction, $"{d:0.00} x drain"));
            if (ratio?.FsAuditVsAuditd is { } a)
                checks.Add(new(w, "iterations/s >= auditd", a >= 1, $"{a:0.00} x auditd"));
            if (f.PeakRssBytes is { } rss)
                checks.Add(new(w, "peak RSS <= 200 MB", rss <= MaxPeakRssBytes, $"{rss / (1024.0 * 1024):0} MB"));
        }
        return checks;
    }
}
