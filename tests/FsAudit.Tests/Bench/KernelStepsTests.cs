using System.Diagnostics;
using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>Stopping a mode's reader process: SIGTERM, then SIGKILL, and never an unbounded wait.</summary>
public sealed class KernelStepsTests
{
    [Fact]
    public async Task A_process_that_ignores_SIGTERM_and_leaves_its_output_open_is_killed_and_not_waited_for_without_end()
    {
        // sh ignores SIGTERM; its background sleep keeps sh's stdout open for 5 s after sh itself is killed.
        using var sh = await StartShellAsync("trap '' TERM; sleep 5 & echo started; wait");

        var clock = Stopwatch.StartNew();
        string? note = await KernelSteps.StopAsync(sh, TimeSpan.FromMilliseconds(300), outputGrace: TimeSpan.FromSeconds(1))
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(note);
        Assert.EndsWith("was killed, and its output stayed open", note);
        Assert.True(sh.HasExited);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4.5), $"took {clock.Elapsed.TotalSeconds:0.0} s: waited for the orphan's output");
    }

    [Fact]
    public async Task A_process_that_stops_on_SIGTERM_needs_no_note()
    {
        using var sh = await StartShellAsync("echo started; exec sleep 30");

        Assert.Null(await KernelSteps.StopAsync(sh, TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(sh.HasExited);
    }

    /// <summary>Runs <paramref name="script"/> in sh with its stdout read asynchronously (as the modes read their readers'), once it printed "started".</summary>
    private static async Task<Process> StartShellAsync(string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        var sh = Process.Start(psi)!;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sh.OutputDataReceived += (_, e) => { if (e.Data == "started") started.TrySetResult(); };
        sh.BeginOutputReadLine();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return sh;
    }
}
