using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Bench;

/// <summary>
/// Counters of a mode's reader at one instant; null where the mode cannot tell.
/// <paramref name="Activity"/> is any counter that moves while the reader still works (records, log bytes,
/// CPU ticks): the runner waits for it to stand still before taking the final sample.
/// </summary>
public sealed record ModeSample(long? Activity, long? Records, long? Events, double? CpuSeconds, long? PeakRssBytes)
{
    public static readonly ModeSample None = new(null, null, null, null, null);
}

/// <summary>Everything a mode needs: the kernel, the options, where the load runs and the rule that watches it.</summary>
public sealed record ModeContext(
    IAuditKernel Kernel,
    BenchOptions Options,
    string LoadDirectory,
    string WorkDirectory,
    AuditRule Rule,
    Action<string> Log);

/// <summary>
/// One mode's reader for one measurement: <see cref="StartAsync"/> brings it up (registered, rule installed),
/// <see cref="SampleAsync"/> reads its counters (<c>final</c> = after the workload, counting may be expensive),
/// <see cref="DisposeAsync"/> takes the rule out and stops it, also after a partial start.
/// </summary>
public interface IBenchModeRun : IAsyncDisposable
{
    BenchMode Mode { get; }
    Task StartAsync(CancellationToken ct);
    Task<ModeSample> SampleAsync(bool final, CancellationToken ct);
    /// <summary>What the reader said worth knowing (warnings, refused subscribers); read after <see cref="DisposeAsync"/>.</summary>
    IReadOnlyList<string> Notes { get; }
}

/// <summary>Kernel steps shared by the modes that register a reader.</summary>
internal static class KernelSteps
{
    public static void ApplyBacklog(IAuditKernel kernel, BenchOptions o)
    {
        var now = kernel.GetStatus();
        if (now.BacklogLimit != o.BacklogLimit) kernel.SetBacklogLimit(o.BacklogLimit);
        if (now.BacklogWaitTime != o.BacklogWaitTime) kernel.SetBacklogWaitTime(o.BacklogWaitTime);
        if (now.RateLimit != 0) kernel.SetRateLimit(0);
    }

    /// <summary>Deletes a rule the bench added; a rule already gone is fine.</summary>
    public static void DeleteRule(IAuditKernel kernel, AuditRule rule, List<string> notes)
    {
        try { kernel.DeleteRule(rule); }
        catch (AuditKernelException e) when (e.ErrnoName == "ENOENT") { }
        catch (Exception e) { notes.Add($"deleting the rule failed: {e.Message}"); }
    }

    /// <summary>Polls until the kernel names <paramref name="pid"/> as its daemon, or fails if the process exits.</summary>
    public static async Task WaitForRegistrationAsync(IAuditKernel kernel, System.Diagnostics.Process process, TimeSpan timeout,
        Func<string> describe, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
                throw new BenchException($"{process.StartInfo.FileName} exited with code {process.ExitCode} before registering: {describe()}");
            if (kernel.GetStatus().Pid == (uint)process.Id) return;
            if (DateTime.UtcNow > deadline)
                throw new BenchException($"{process.StartInfo.FileName} did not register as the audit daemon within {timeout.TotalSeconds:0} s: {describe()}");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>
    /// SIGTERM, then SIGKILL after <paramref name="grace"/>; after the kill, waits at most <paramref name="outputGrace"/>
    /// (10 s) for the process and its redirected output. Returns a note when it had to kill.
    /// </summary>
    public static async Task<string?> StopAsync(System.Diagnostics.Process process, TimeSpan grace, TimeSpan? outputGrace = null)
    {
        if (process.HasExited) return null;
        Tmds.Linux.LibC.kill(process.Id, Tmds.Linux.LibC.SIGTERM);
        using var wait = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(wait.Token);
            return null;
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            // Bounded: WaitForExitAsync also waits for the redirected output, which a leftover child could hold open.
            using var killed = new CancellationTokenSource(outputGrace ?? TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(killed.Token); }
            catch (OperationCanceledException) { return $"pid {process.Id} did not stop within {grace.TotalSeconds:0} s of SIGTERM, was killed, and its output stayed open"; }
            return $"pid {process.Id} did not stop within {grace.TotalSeconds:0} s of SIGTERM and was killed";
        }
    }
}
