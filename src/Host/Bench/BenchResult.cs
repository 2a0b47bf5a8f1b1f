namespace FsAudit.Host.Bench;

/// <summary>One mode measured with one writer count. Nullable figures are those the mode cannot tell.</summary>
public sealed record BenchResult
{
    public required BenchMode Mode { get; init; }
    public required int Writers { get; init; }
    /// <summary>Which round of <c>--rounds</c> (1-based).</summary>
    public int Round { get; init; } = 1;
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

    /// <summary>
    /// CPU microseconds per workload iteration of the writers, kauditd and the reader: what one file operation cost the
    /// machine under this mode, split by who paid. The writers' and kauditd's shares can grow next to a busy reader too
    /// (caches, preemption), which the reader's own CPU alone does not show.
    /// </summary>
    public double? WriterMicrosPerIteration => PerIteration(WriterCpuSeconds);

    /// <inheritdoc cref="WriterMicrosPerIteration"/>
    public double? KauditdMicrosPerIteration => PerIteration(KauditdCpuSeconds);

    /// <inheritdoc cref="WriterMicrosPerIteration"/>
    public double? ReaderMicrosPerIteration => PerIteration(CpuSeconds);

    private double? PerIteration(double? cpuSeconds) => cpuSeconds is { } s && Iterations > 0 ? s * 1e6 / Iterations : null;

    /// <summary>CPU seconds per 100,000 events: of the events the reader counted, else of those the workload produced.</summary>
    public double? CpuPer100kEvents =>
        CpuSeconds is { } cpu && (Events is > 0 ? Events : WorkloadEvents) is { } n && n > 0 ? cpu / n * 100_000 : null;
}

/// <summary>
/// fsaudit's iterations/s relative to the other readers, for one writer count; null where a side is missing. Each
/// ratio is the median over the rounds that measured both sides; <see cref="PerRound"/> keeps the single rounds.
/// <see cref="DrainBusyVsDrain"/> is the calibration: what a reader spending <c>--busy-us</c> per event keeps of drain's speed.
/// </summary>
public sealed record BenchRatios(int Writers, double? FsAuditVsDrain, double? FsAuditVsAuditd, double? FsAuditVsAuditdNoLog,
    double? DrainBusyVsDrain = null)
{
    /// <summary>The ratios of each round, in round order (one entry without <c>--rounds</c>).</summary>
    public IReadOnlyList<BenchRatios> PerRound { get; init; } = [];

    public static IReadOnlyList<BenchRatios> Compute(IEnumerable<BenchResult> results)
    {
        var ok = results.Where(r => r.Error is null).ToList();
        return ok.Select(r => r.Writers).Distinct().Select(w =>
        {
            var rounds = ok.Where(r => r.Writers == w).Select(r => r.Round).Distinct().Order().Select(round =>
            {
                double? Rate(BenchMode m) => ok.FirstOrDefault(r => r.Writers == w && r.Round == round && r.Mode == m) is { IterationsPerSecond: > 0 } r
                    ? r.IterationsPerSecond : null;
                double? Ratio(double? a, double? b) => a is { } x && b is { } y ? x / y : null;
                var fsaudit = Rate(BenchMode.FsAudit);
                return new BenchRatios(w, Ratio(fsaudit, Rate(BenchMode.Drain)), Ratio(fsaudit, Rate(BenchMode.Auditd)),
                    Ratio(fsaudit, Rate(BenchMode.AuditdNoLog)), Ratio(Rate(BenchMode.DrainBusy), Rate(BenchMode.Drain)));
            }).ToList();
            return new BenchRatios(w, Median(rounds.Select(r => r.FsAuditVsDrain)), Median(rounds.Select(r => r.FsAuditVsAuditd)),
                Median(rounds.Select(r => r.FsAuditVsAuditdNoLog)), Median(rounds.Select(r => r.DrainBusyVsDrain))) { PerRound = rounds };
        }).ToList();
    }

    /// <summary>The median of the present values (the mean of the middle two for an even count); null when none.</summary>
    public static double? Median(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().Order().ToList();
        if (v.Count == 0) return null;
        int mid = v.Count / 2;
        return v.Count % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }
}

/// <summary>
/// A distribution-free confidence interval for the median of per-round ratios: the k-th smallest and k-th largest
/// value, k the largest with P(the true median lies between them) ≥ the level asked for. It assumes only that the
/// rounds are independent draws of the same machine (no normal law), so it suits the few, skewed rounds a bench gives:
/// 5 rounds give min..max at 94 %, 10 the 2nd..9th at 98 %, 20 the 6th..15th at 96 %.
/// </summary>
public sealed record MedianInterval(double Low, double High, double Confidence)
{
    /// <summary>The interval of the present values; null when too few for <paramref name="level"/> (fewer than 5 at 0.9).</summary>
    public static MedianInterval? Of(IEnumerable<double?> values, double level = 0.9)
    {
        var v = values.OfType<double>().Order().ToList();
        int n = v.Count;
        MedianInterval? best = null;
        // P(Binomial(n, 1/2) <= j), accumulated as k grows; the interval [k-th, (n-k+1)-th] misses the median
        // when fewer than k values lie on one side of it, with probability 2 P(B <= k-1).
        double tail = 0, term = Math.Pow(0.5, n);
        for (int k = 1; k <= n / 2; k++)
        {
            tail += term;
            term *= (double)(n - (k - 1)) / k; // C(n, k) / 2^n from C(n, k-1) / 2^n
            double confidence = 1 - 2 * tail;
            if (confidence < level) break;
            best = new MedianInterval(v[k - 1], v[n - k], confidence);
        }
        return best;
    }

    /// <summary>Where the interval lies against <paramref name="threshold"/>, for the report.</summary>
    public string Describe(double threshold)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string where = Low >= threshold ? $"above {threshold.ToString(c)}" : High < threshold ? $"below {threshold.ToString(c)}"
            : $"not told apart from {threshold.ToString(c)}";
        return $"{(Confidence * 100).ToString("0", c)} % interval of the median {Low.ToString("0.00", c)}–{High.ToString("0.00", c)}: {where}";
    }
}

/// <summary>
/// One of the issue's targets for fsaudit, checked against a measurement. <see cref="Interval"/> is set for the ratio
/// targets measured in enough rounds: <see cref="Met"/> follows the median, the interval says whether the rounds tell
/// it apart from the threshold.
/// </summary>
public sealed record TargetCheck(int Writers, string Target, bool Met, string Actual, MedianInterval? Interval = null)
{
    public const double DrainFraction = 0.9;
    public const long MaxPeakRssBytes = 200L * 1024 * 1024;

    /// <summary>
    /// 0 kernel lost; iterations/s ≥ 0.9 × drain and ≥ auditd (logging); peak RSS ≤ 200 MB. With several rounds,
    /// lost and RSS must hold in every round (the worst round is shown) and the ratios are the medians. A target
    /// whose inputs were not measured is left out.
    /// </summary>
    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<BenchResult> results, uint backlogLimit)
    {
        var checks = new List<TargetCheck>();
        var ratios = BenchRatios.Compute(results);
        var fsaudit = results.Where(r => r.Mode == BenchMode.FsAudit && r.Error is null).ToList();
        foreach (int w in fsaudit.Select(r => r.Writers).Distinct())
        {
            var runs = fsaudit.Where(r => r.Writers == w).ToList();
            string Of(int n) => runs.Count > 1 ? $" (worst of {n} rounds)" : "";
            var lost = runs.Select(r => r.KernelLost).OfType<long>().ToList();
            if (lost.Count > 0)
                checks.Add(new(w, $"0 kernel lost at backlog {backlogLimit}", lost.Max() == 0, $"{lost.Max()} lost{Of(lost.Count)}"));
            var ratio = ratios.FirstOrDefault(r => r.Writers == w);
            string Med(Func<BenchRatios, double?> pick) =>
                ratio is { PerRound.Count: > 1 } ? $" (median of {string.Join(", ", ratio.PerRound.Select(pick).OfType<double>().Select(x => x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))})" : "";
            if (ratio?.FsAuditVsDrain is { } d)
            {
                var ci = MedianInterval.Of(ratio.PerRound.Select(r => r.FsAuditVsDrain));
                checks.Add(new(w, $"iterations/s >= {DrainFraction} x drain", d >= DrainFraction,
                    $"{d:0.00} x drain{Med(r => r.FsAuditVsDrain)}{Describe(ci, DrainFraction)}{BaselineSpread(results, w)}", ci));
            }
            if (ratio?.FsAuditVsAuditd is { } a)
            {
                var ci = MedianInterval.Of(ratio.PerRound.Select(r => r.FsAuditVsAuditd));
                checks.Add(new(w, "iterations/s >= auditd", a >= 1, $"{a:0.00} x auditd{Med(r => r.FsAuditVsAuditd)}{Describe(ci, 1)}", ci));
            }
            var rss = runs.Select(r => r.PeakRssBytes).OfType<long>().ToList();
            if (rss.Count > 0)
                checks.Add(new(w, "peak RSS <= 200 MB", rss.Max() <= MaxPeakRssBytes, $"{rss.Max() / (1024.0 * 1024):0} MB{Of(rss.Count)}"));
        }
        return checks;
    }

    private static string Describe(MedianInterval? ci, double threshold) => ci is null ? "" : "; " + ci.Describe(threshold);

    /// <summary>
    /// How much drain's own speed moved between rounds (fastest / slowest − 1): the same code on a noisy machine. A ratio
    /// closer to the target than that is not told apart from it by one verdict.
    /// </summary>
    private static string BaselineSpread(IReadOnlyList<BenchResult> results, int writers)
    {
        var rates = results.Where(r => r.Mode == BenchMode.Drain && r.Writers == writers && r.Error is null && r.IterationsPerSecond > 0)
            .Select(r => r.IterationsPerSecond).ToList();
        if (rates.Count < 2) return "";
        return $"; drain itself varied {(rates.Max() / rates.Min() - 1) * 100:0} % between rounds";
    }
}
