using System.Diagnostics;
using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Bench;

/// <summary>
/// Runs every mode once per writer count, in turn, and restores the kernel state it found after each
/// measurement, after a failure and on cancellation. Kernel access, the writers and the modes are seams.
/// </summary>
public sealed class BenchRunner
{
    private readonly BenchOptions _options;
    private readonly IAuditKernel _kernel;
    private readonly IWorkload _workload;
    private readonly Func<BenchMode, ModeContext, IBenchModeRun> _modes;
    private readonly TextWriter _progress;
    private readonly int? _kauditd = ProcStat.FindByName("kauditd");

    /// <summary>How long the reader's counters must stand still (and the backlog be empty) to call it drained.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxDrainWait { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Other work above this many cores on average is noted on the result.</summary>
    public const double NoisyCores = 0.15;

    public BenchRunner(BenchOptions options, IAuditKernel kernel, IWorkload workload,
        Func<BenchMode, ModeContext, IBenchModeRun> modes, TextWriter progress)
    {
        _options = options;
        _kernel = kernel;
        _workload = workload;
        _modes = modes;
        _progress = progress;
    }

    /// <summary>The real modes.</summary>
    public static IBenchModeRun CreateMode(BenchMode mode, ModeContext context) => mode switch
    {
        BenchMode.Off => new OffMode(context),
        BenchMode.Drain => new DrainMode(context),
        BenchMode.DrainBusy => new DrainMode(context, context.Options.BusyMicrosPerEvent),
        BenchMode.FsAudit => new FsAuditMode(context),
        BenchMode.Auditd => new AuditdMode(context, writeLogs: true),
        BenchMode.AuditdNoLog => new AuditdMode(context, writeLogs: false),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>
    /// Measures everything under <paramref name="root"/> (the rule watches root/load only). Results of
    /// measurements done before a cancellation are kept in <paramref name="results"/>. Throws
    /// <see cref="BenchException"/> when the kernel state could not be restored.
    /// </summary>
    public async Task RunAsync(string root, List<BenchResult> results, CancellationToken ct)
    {
        string load = Path.Combine(root, "load");
        Directory.CreateDirectory(load);
        var keeper = KernelStateKeeper.Capture(_kernel, root);
        var rule = AuditRule.DirectoryWatch(load, AuditPerm.Write | AuditPerm.Attr, FsAuditMode.RuleKey);
        var restoreProblems = new List<string>();
        try
        {
            for (int round = 1; round <= _options.Rounds; round++)
            {
                if (_options.Rounds > 1) Say($"round {round} of {_options.Rounds}");
                // Every other round runs the modes in reverse order, so a drift of the machine's speed during a round
                // (this VM's comes and goes by the minute) does not always favour the mode that runs first.
                var modes = round % 2 == 1 ? _options.Modes : _options.Modes.Reverse().ToList();
                foreach (int writers in _options.Writers)
                    foreach (var mode in modes)
                    {
                        ct.ThrowIfCancellationRequested();
                        string work = Path.Combine(root, $"{mode.Name()}-{writers}-r{round}");
                        Directory.CreateDirectory(work);
                        var context = new ModeContext(_kernel, _options, load, work, rule, Say);
                        BenchResult result;
                        try
                        {
                            result = await MeasureAsync(mode, writers, context, ct);
                        }
                        finally
                        {
                            var problems = keeper.Restore();
                            restoreProblems.AddRange(problems.Select(p => $"after {mode.Name()} x{writers} (round {round}): {p}"));
                        }
                        results.Add(result with { Round = round });
                    }
            }
        }
        finally
        {
            restoreProblems.AddRange(keeper.Restore());
        }
        if (restoreProblems.Count > 0)
            throw new BenchException("the kernel's audit state could not be fully restored: " + string.Join("; ", restoreProblems.Distinct()));
    }

    private async Task<BenchResult> MeasureAsync(BenchMode mode, int writers, ModeContext context, CancellationToken ct)
    {
        string label = $"{mode.Name()} x{writers}";
        Say($"{label}: starting");
        var run = _modes(mode, context);
        var progress = new WorkloadProgress();
        try
        {
            await run.StartAsync(ct);
            await using var sampler = new KernelSampler(_kernel, SampleInterval);
            ModeSample start = ModeSample.None;
            AuditStatus startStatus = default;
            CpuSnapshot cpuStart = default;
            var clock = new Stopwatch();
            using var live = new CancellationTokenSource();
            Task? liveTask = null;

            var plan = new WorkloadPlan(Path.Combine(context.LoadDirectory, $"{mode.Name()}-{writers}"),
                Path.Combine(context.WorkDirectory, "warm-up"), writers,
                _options.Seconds, _options.Bytes, _options.Mix);
            WorkloadResult workload;
            TimeSpan drained;
            try
            {
                workload = await _workload.RunAsync(plan, async () =>
                {
                    start = await run.SampleAsync(final: false, ct);
                    startStatus = sampler.Sample();
                    cpuStart = CpuSnapshot.Take(_kauditd);
                    clock.Start();
                    liveTask = LiveProgressAsync(label, progress, sampler, startStatus, live.Token);
                }, progress, ct);
                drained = await WaitDrainedAsync(run, sampler, clock, ct);
            }
            finally
            {
                live.Cancel();
                if (liveTask is not null) await liveTask;
            }
            var cpuEnd = CpuSnapshot.Take(_kauditd);
            double elapsed = clock.Elapsed.TotalSeconds;
            var end = await run.SampleAsync(final: true, ct);
            var endStatus = sampler.Sample();
            double window = drained.TotalSeconds;
            double? readerCpu = start.CpuSeconds is { } c0 && end.CpuSeconds is { } c1 ? c1 - c0 : null;

            long? Delta(long? a, long? b) => a is { } x && b is { } y ? y - x : null;
            double? PerSecond(long? n) => n is { } v && window > 0 ? v / window : null;
            long? records = Delta(start.Records, end.Records), events = Delta(start.Events, end.Events);
            await run.DisposeAsync();
            var result = new BenchResult
            {
                Mode = mode,
                Writers = writers,
                Iterations = workload.Iterations,
                IterationsPerSecond = workload.IterationsPerSecond,
                WorkloadSeconds = workload.Seconds,
                WorkerErrors = workload.Errors,
                WorkloadEvents = mode.IsAudited() ? workload.Iterations * _options.Mix.EventsPerIteration() : 0,
                Records = records,
                Events = events,
                RecordsPerSecond = PerSecond(records),
                EventsPerSecond = PerSecond(events),
                KernelLost = unchecked((uint)(endStatus.Lost - startStatus.Lost)),
                PeakBacklog = sampler.PeakBacklog,
                BacklogWaitJiffies = unchecked((uint)(endStatus.BacklogWaitTimeActual - startStatus.BacklogWaitTimeActual)),
                CpuSeconds = readerCpu,
                PeakRssBytes = end.PeakRssBytes,
                WriterCpuSeconds = workload.CpuSeconds,
                KauditdCpuSeconds = cpuStart.Kauditd is { } k0 && cpuEnd.Kauditd is { } k1 ? k1 - k0 : null,
                // The drain reader is a thread of this process: its CPU is already in the bench's own.
                OtherCpuCores = CpuSnapshot.OtherCores(cpuStart, cpuEnd, elapsed, workload.CpuSeconds, mode.IsInProcess() ? 0 : readerCpu ?? 0),
                Notes = [.. run.Notes, .. workload.FirstError is { } e ? new[] { $"writers: {e}" } : []],
            };
            if (result.OtherCpuCores is > NoisyCores)
                result = result with { Notes = [.. result.Notes, $"machine not quiet: other work used {result.OtherCpuCores:0.00} cores on average"] };
            Say($"{label}: {result.IterationsPerSecond:N0} iterations/s, lost {result.KernelLost}, peak backlog {result.PeakBacklog}");
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Say($"{label}: FAILED: {e.Message}");
            await run.DisposeAsync();
            return new BenchResult { Mode = mode, Writers = writers, Error = e.Message, Notes = run.Notes };
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// After the writers stop, waits until the kernel backlog is empty and the reader's activity counter
    /// stood still for <see cref="QuietPeriod"/>. Returns the time from "go" to the reader's last activity.
    /// </summary>
    private async Task<TimeSpan> WaitDrainedAsync(IBenchModeRun run, KernelSampler sampler, Stopwatch clock, CancellationToken ct)
    {
        long? last = (await run.SampleAsync(final: false, ct)).Activity;
        var lastChange = clock.Elapsed;
        var quietSince = Stopwatch.StartNew();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < MaxDrainWait)
        {
            await Task.Delay(SampleInterval, ct);
            long? now = (await run.SampleAsync(final: false, ct)).Activity;
            bool backlogEmpty = sampler.Sample().Backlog == 0;
            if (now != last || !backlogEmpty)
            {
                last = now;
                lastChange = clock.Elapsed;
                quietSince.Restart();
            }
            else if (quietSince.Elapsed >= QuietPeriod) return lastChange;
        }
        Say($"the reader was still busy {MaxDrainWait.TotalSeconds:0} s after the writers stopped; measuring anyway");
        return lastChange;
    }

    private async Task LiveProgressAsync(string label, WorkloadProgress progress, KernelSampler sampler, AuditStatus start, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ProgressInterval);
        var clock = Stopwatch.StartNew();
        long lastIterations = 0;
        var lastTime = TimeSpan.Zero;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                long iterations = progress.Iterations;
                var now = clock.Elapsed;
                double rate = (iterations - lastIterations) / (now - lastTime).TotalSeconds;
                (lastIterations, lastTime) = (iterations, now);
                var s = sampler.Latest;
                Say($"{label}: {now.TotalSeconds,5:0.0} s {rate,10:N0} it/s  backlog {s.Backlog,6} (peak {sampler.PeakBacklog})  lost {unchecked(s.Lost - start.Lost)}");
            }
        }
        catch (OperationCanceledException) { }
    }

    private void Say(string line)
    {
        lock (_progress)
        {
            _progress.WriteLine($"bench: {line}");
            _progress.Flush();
        }
    }
}

/// <summary>Machine busy time, this process's CPU and kauditd's CPU at one instant.</summary>
internal readonly record struct CpuSnapshot(double? MachineBusy, double? Self, double? Kauditd)
{
    public static CpuSnapshot Take(int? kauditd) => new(
        ProcStat.MachineTicks() is { } m ? (double)m.Busy / ProcStat.TicksPerSecond : null,
        ProcStat.CpuSeconds(Environment.ProcessId),
        kauditd is { } k ? ProcStat.CpuSeconds(k) : null);

    /// <summary>Average cores used by everything that is not the measurement; null when the machine figures are missing.</summary>
    public static double? OtherCores(CpuSnapshot start, CpuSnapshot end, double seconds, double writers, double reader)
    {
        if (start.MachineBusy is not { } b0 || end.MachineBusy is not { } b1 || seconds <= 0) return null;
        double ours = writers + reader + ((end.Self - start.Self) ?? 0) + ((end.Kauditd - start.Kauditd) ?? 0);
        return Math.Max(0, (b1 - b0 - ours) / seconds);
    }
}
