using FsAudit.Engine.Netlink;
using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>The runner's bookkeeping with a fake kernel, fake writers and fake modes: figures from samples, restore on failure and Ctrl-C.</summary>
public sealed class BenchRunnerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fsaudit-bench-test-").FullName;
    private readonly FakeAuditKernel _kernel = new(FakeAuditKernel.Idle);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private BenchRunner Runner(BenchOptions options, IWorkload workload, Func<BenchMode, ModeContext, IBenchModeRun> modes) =>
        new(options, _kernel, workload, modes, TextWriter.Null)
        {
            QuietPeriod = TimeSpan.FromMilliseconds(50),
            SampleInterval = TimeSpan.FromMilliseconds(10),
            ProgressInterval = TimeSpan.FromMilliseconds(20),
        };

    /// <summary>A mode that changes the kernel the way a reader does, counting 12 records and 2 events per call to <see cref="Advance"/>.</summary>
    private sealed class FakeMode(BenchMode mode, ModeContext context, string? failIn = null) : IBenchModeRun
    {
        public long Records, Events;
        public double Cpu;
        public bool Disposed;
        public BenchMode Mode => mode;
        public IReadOnlyList<string> Notes => ["fake note"];

        public Task StartAsync(CancellationToken ct)
        {
            var k = context.Kernel;
            k.SetBacklogLimit(context.Options.BacklogLimit);
            k.SetEnabled(1);
            k.SetPid((uint)Environment.ProcessId);
            k.AddRule(context.Rule);
            if (failIn == "start") throw new BenchException("could not start");
            return Task.CompletedTask;
        }

        public void Advance(long iterations)
        {
            Interlocked.Add(ref Records, 12 * iterations);
            Interlocked.Add(ref Events, 2 * iterations);
            Cpu += iterations / 1000.0;
        }

        public Task<ModeSample> SampleAsync(bool final, CancellationToken ct)
        {
            if (final && failIn == "final") throw new BenchException("status socket gone");
            long r = Interlocked.Read(ref Records);
            return Task.FromResult(new ModeSample(r, r, Interlocked.Read(ref Events), Cpu, 50L << 20));
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Writers that "do" a fixed number of iterations: the mode counts them, the kernel loses some and its backlog rises.</summary>
    private sealed class FakeWorkload(FakeAuditKernel kernel, Func<FakeMode?> mode, long iterations, uint lost, bool hang = false) : IWorkload
    {
        public async Task<WorkloadResult> RunAsync(WorkloadPlan plan, Func<Task> beforeGo, WorkloadProgress progress, CancellationToken ct)
        {
            await beforeGo();
            if (hang) await Task.Delay(Timeout.Infinite, ct);
            kernel.Status = kernel.Status with { Backlog = 777, Lost = kernel.Status.Lost + lost, BacklogWaitTimeActual = kernel.Status.BacklogWaitTimeActual + 250 };
            // The sampler must see the backlog: wait for two reads after it was set, however slow the machine.
            int seen = kernel.StatusReads;
            while (kernel.StatusReads < seen + 2) await Task.Delay(10, ct);
            mode()?.Advance(iterations);
            kernel.Status = kernel.Status with { Backlog = 0 };
            return new WorkloadResult(iterations, iterations / 2.0, 2, 0, null);
        }
    }

    [Fact]
    public async Task Figures_come_from_the_samples_and_the_kernel_is_restored_after_each_mode()
    {
        var options = new BenchOptions { Writers = [1, 2], Modes = [BenchMode.Drain, BenchMode.FsAudit] };
        var modes = new List<FakeMode>();
        var kernelDuringStart = new List<uint>();
        var runner = Runner(options, new FakeWorkload(_kernel, () => modes.LastOrDefault(), 1000, lost: 3), (m, ctx) =>
        {
            kernelDuringStart.Add(_kernel.Status.Enabled); // each mode starts from the found state
            var fake = new FakeMode(m, ctx);
            modes.Add(fake);
            return fake;
        });
        var results = new List<BenchResult>();
        await runner.RunAsync(_root, results, CancellationToken.None);

        Assert.Equal(4, results.Count);
        Assert.Equal([BenchMode.Drain, BenchMode.FsAudit, BenchMode.Drain, BenchMode.FsAudit], results.Select(r => r.Mode));
        Assert.Equal([1, 1, 2, 2], results.Select(r => r.Writers));
        Assert.All(kernelDuringStart, e => Assert.Equal(0u, e));
        Assert.All(modes, m => Assert.True(m.Disposed));
        foreach (var r in results)
        {
            Assert.Null(r.Error);
            Assert.Equal(12_000, r.Records);
            Assert.Equal(2_000, r.Events);
            Assert.Equal(2_000, r.WorkloadEvents);
            Assert.Equal(500, r.IterationsPerSecond);
            Assert.Equal(3, r.KernelLost);
            Assert.Equal(777u, r.PeakBacklog);
            Assert.Equal(250, r.BacklogWaitJiffies);
            Assert.Equal(1.0, r.CpuSeconds!.Value, 9);
            Assert.Equal(50L << 20, r.PeakRssBytes);
            Assert.True(r.RecordsPerSecond > 0);
            Assert.Contains("fake note", r.Notes);
        }
        Assert.Equal(FakeAuditKernel.Idle with { Lost = FakeAuditKernel.Idle.Lost + 12, BacklogWaitTimeActual = 1000 }, _kernel.Status);
        Assert.Empty(_kernel.Rules);
    }

    [Theory]
    [InlineData("start")]
    [InlineData("final")]
    public async Task A_failing_mode_is_reported_and_the_kernel_restored_before_the_next(string failIn)
    {
        var options = new BenchOptions { Writers = [1], Modes = [BenchMode.FsAudit, BenchMode.Drain] };
        FakeMode? current = null;
        var runner = Runner(options, new FakeWorkload(_kernel, () => current, 100, lost: 0),
            (m, ctx) => current = new FakeMode(m, ctx, m == BenchMode.FsAudit ? failIn : null));
        var results = new List<BenchResult>();
        await runner.RunAsync(_root, results, CancellationToken.None);

        Assert.Equal(2, results.Count);
        Assert.NotNull(results[0].Error);
        Assert.Null(results[1].Error); // the next mode still ran
        Assert.Equal(100, results[1].Iterations);
        AssertRestored();
        Assert.Empty(_kernel.Rules);
    }

    [Fact]
    public async Task Every_other_round_runs_the_modes_in_reverse_order()
    {
        var options = new BenchOptions { Writers = [1, 2], Modes = [BenchMode.Drain, BenchMode.FsAudit], Rounds = 3 };
        var modes = new List<FakeMode>();
        var runner = Runner(options, new FakeWorkload(_kernel, () => modes.LastOrDefault(), 1000, lost: 0), (m, ctx) =>
        {
            var fake = new FakeMode(m, ctx);
            modes.Add(fake);
            return fake;
        });
        var results = new List<BenchResult>();
        await runner.RunAsync(_root, results, CancellationToken.None);

        var d = BenchMode.Drain;
        var f = BenchMode.FsAudit;
        Assert.Equal([d, f, d, f, f, d, f, d, d, f, d, f], results.Select(r => r.Mode));
        Assert.Equal([1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2], results.Select(r => r.Writers));
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], results.Select(r => r.Round));
    }

    [Fact]
    public async Task Ctrl_C_during_the_load_stops_restores_and_keeps_earlier_results()
    {
        var options = new BenchOptions { Writers = [1], Modes = [BenchMode.Drain, BenchMode.FsAudit] };
        using var cts = new CancellationTokenSource();
        var modes = new List<FakeMode>();
        var workloads = new Queue<IWorkload>([
            new FakeWorkload(_kernel, () => modes.LastOrDefault(), 10, lost: 0),
            new FakeWorkload(_kernel, () => modes.LastOrDefault(), 10, lost: 0, hang: true),
        ]);
        var runner = Runner(options, new SwitchingWorkload(workloads), (m, ctx) =>
        {
            var fake = new FakeMode(m, ctx);
            modes.Add(fake);
            if (m == BenchMode.FsAudit) cts.CancelAfter(200);
            return fake;
        });
        var results = new List<BenchResult>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(_root, results, cts.Token));

        var done = Assert.Single(results);
        Assert.Equal(BenchMode.Drain, done.Mode);
        Assert.All(modes, m => Assert.True(m.Disposed));
        AssertRestored();
        Assert.Empty(_kernel.Rules);
    }

    [Fact]
    public async Task A_state_that_cannot_be_restored_fails_the_run()
    {
        var options = new BenchOptions { Writers = [1], Modes = [BenchMode.Drain] };
        FakeMode? current = null;
        var runner = Runner(options, new FakeWorkload(_kernel, () => current, 10, lost: 0), (m, ctx) =>
        {
            current = new FakeMode(m, ctx);
            _kernel.AddRule(AuditRule.DirectoryWatch("/elsewhere", AuditPerm.Write)); // not ours: left, reported
            return current;
        });
        var e = await Assert.ThrowsAsync<BenchException>(() => runner.RunAsync(_root, [], CancellationToken.None));
        Assert.Contains("/elsewhere", e.Message);
    }

    /// <summary>Settings, daemon and rules as found (the kernel's counters move on).</summary>
    private void AssertRestored()
    {
        var s = _kernel.Status;
        Assert.Equal(FakeAuditKernel.Idle, s with { Lost = FakeAuditKernel.Idle.Lost, BacklogWaitTimeActual = 0 });
        Assert.Empty(_kernel.Rules);
    }

    private sealed class SwitchingWorkload(Queue<IWorkload> next) : IWorkload
    {
        public Task<WorkloadResult> RunAsync(WorkloadPlan plan, Func<Task> beforeGo, WorkloadProgress progress, CancellationToken ct) =>
            next.Dequeue().RunAsync(plan, beforeGo, progress, ct);
    }
}
