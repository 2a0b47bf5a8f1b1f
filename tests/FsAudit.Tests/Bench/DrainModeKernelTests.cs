using FsAudit.Engine.Netlink;
using FsAudit.Host.Bench;
using FsAudit.Tests.Kernel;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>The bench's in-process readers against the real kernel: what they count and what they spend.</summary>
[Collection(KernelCollection.Name)]
[Trait("Category", "Kernel")]
public sealed class DrainModeKernelTests : IDisposable
{
    private const int Files = 250; // an audited openat(O_CREAT) and unlink each: 500 events
    private const double BusyMicros = 200;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fsaudit-drain-test-");

    public void Dispose() => _dir.Delete(recursive: true);

    [KernelFact]
    public async Task Drain_busy_spends_the_asked_cpu_per_event_and_drain_does_not()
    {
        var guard = KernelStateGuard.Capture();
        try
        {
            var (plainEvents, plainCpu) = await MeasureAsync(busyMicros: 0, "plain");
            var (busyEvents, busyCpu) = await MeasureAsync(BusyMicros, "busy");

            // The load's events, and the few the rule's own installation may add (CONFIG_CHANGE ends with an EOE too).
            Assert.InRange(plainEvents, 2 * Files, 2 * Files + 5);
            Assert.InRange(busyEvents, 2 * Files, 2 * Files + 5);
            double owed = busyEvents * BusyMicros / 1e6; // 0.1 s
            Assert.InRange(busyCpu, 0.9 * owed, owed + 1.0);
            Assert.True(plainCpu < owed / 2, $"drain alone spent {plainCpu:0.000} s on {plainEvents} events");
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    /// <summary>Runs one reader while a child process creates and deletes <see cref="Files"/> files; its events and CPU seconds.</summary>
    private async Task<(long Events, double Cpu)> MeasureAsync(double busyMicros, string name)
    {
        string load = Directory.CreateDirectory(Path.Combine(_dir.FullName, name)).FullName;
        using var kernel = new NetlinkAuditKernel();
        var options = new BenchOptions { BusyMicrosPerEvent = busyMicros > 0 ? busyMicros : BenchOptions.DefaultBusyMicrosPerEvent };
        var rule = AuditRule.DirectoryWatch(load, AuditPerm.Write | AuditPerm.Attr, "fsaudit-drain-test");
        var mode = new DrainMode(new ModeContext(kernel, options, load, _dir.FullName, rule, _ => { }), busyMicros);
        (long Events, double Cpu) measured;
        try
        {
            Assert.Equal(busyMicros > 0 ? BenchMode.DrainBusy : BenchMode.Drain, mode.Mode);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await mode.StartAsync(timeout.Token);
            using (var child = SyscallChild.Start(load))
            {
                for (int i = 0; i < Files; i++)
                {
                    long fd = child.Call("openat", SyscallChild.AtFdCwd, $"f{i}", SyscallChild.OWronly | SyscallChild.OCreat, 420);
                    Assert.True(fd >= 0, $"openat: {fd}");
                    child.Call("close", (int)fd);
                    Assert.Equal(0, child.Call("unlink", $"f{i}"));
                }
            }
            // Every event counted, then the busy thread's debt paid (it works after each read).
            ModeSample sample;
            double owed = 2 * Files * busyMicros / 1e6;
            do
            {
                await Task.Delay(50, timeout.Token);
                sample = await mode.SampleAsync(final: true, timeout.Token);
            }
            while (sample.Events < 2 * Files || sample.CpuSeconds < 0.9 * owed);
            await Task.Delay(200, timeout.Token); // nothing more arrives
            sample = await mode.SampleAsync(final: true, timeout.Token);
            measured = (sample.Events ?? 0, sample.CpuSeconds ?? double.NaN);
        }
        finally
        {
            await mode.DisposeAsync();
        }
        Assert.Empty(mode.Notes); // after a clean stop: no overrun, no malformed buffer (not in finally: it would hide a failure)
        return measured;
    }
}
