using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>
/// The real writer processes (<c>fsaudit bench-worker</c> started by <see cref="WorkerProcesses"/>) on a plain temp
/// directory, no audit involved: a normal run reports every writer, and a writer that exits before reporting fails
/// the run with its exit code and stderr instead of leaving it waiting.
/// </summary>
public sealed class WorkerProcessesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fsaudit-bench-workers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Writers_run_and_report_their_iterations()
    {
        bool wentAhead = false;
        var progress = new WorkloadProgress();
        var result = await new WorkerProcesses().RunAsync(new WorkloadPlan(_dir, null, 2, 1, 64, WorkloadMix.None),
            () => { wentAhead = true; return Task.CompletedTask; }, progress, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(wentAhead);
        Assert.True(result.Iterations > 100, $"{result.Iterations} iterations");
        Assert.Equal(0, result.Errors);
        Assert.True(result.CpuSeconds > 0);
    }

    [Fact]
    public async Task A_writer_that_exits_before_reporting_fails_the_run_with_its_exit_code_and_stderr()
    {
        // bench-worker refuses --seconds 0 and exits with the usage code before it is ready.
        var run = new WorkerProcesses().RunAsync(new WorkloadPlan(_dir, null, 2, 0, 64, WorkloadMix.None),
            () => throw new Xunit.Sdk.XunitException("the writers must never get the go"), new WorkloadProgress(), CancellationToken.None);

        var e = await Assert.ThrowsAsync<BenchException>(() => run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"exited with code {BenchCommand.ExitUsage} before reporting", e.Message);
        Assert.Contains("bad --seconds or --bytes", e.Message);
    }
}
