using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>The writer loop on a plain temp directory (no audit involved): it iterates, reports, and leaves nothing behind.</summary>
public sealed class WorkerLoopTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fsaudit-bench-worker-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(WorkloadMix.None)]
    [InlineData(WorkloadMix.Rename | WorkloadMix.Mkdir | WorkloadMix.Chmod)]
    public void Loops_for_the_given_time_and_reports_iterations(WorkloadMix mix)
    {
        var output = new StringWriter();
        int exit = WorkerLoop.Run(Path.Combine(_dir, "w0"), Path.Combine(_dir, "warm"), 1, 100, mix, new StringReader("go\n"), output);

        Assert.Equal(0, exit);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ready", lines[0]);
        Assert.True(WorkerReport.TryParseLine(lines[^1], out _, out var done));
        var report = Assert.NotNull(done);
        Assert.True(report.Iterations > 100, $"{report.Iterations} iterations");
        Assert.Equal(0, report.Errors);
        Assert.InRange(report.ElapsedMicroseconds, 1_000_000, 3_000_000);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dir, "w0")));
        Assert.False(Directory.Exists(Path.Combine(_dir, "warm")));
    }

    [Fact]
    public void Failing_syscalls_are_counted_with_their_errno()
    {
        string dir = Path.Combine(_dir, "w1");
        var output = new StringWriter();
        var stdin = new GoThenRemove("go", () => Directory.Delete(dir, recursive: true));
        WorkerLoop.Run(dir, null, 1, 10, WorkloadMix.None, stdin, output);
        var last = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.True(WorkerReport.TryParseLine(last, out _, out var done));
        Assert.True(done!.Value.Errors > 0);
        Assert.Equal(2, done.Value.FirstErrno); // ENOENT: the directory is gone
    }

    [Fact]
    public void Without_go_the_worker_does_nothing()
    {
        var output = new StringWriter();
        Assert.Equal(2, WorkerLoop.Run(Path.Combine(_dir, "w2"), null, 1, 10, WorkloadMix.None, new StringReader(""), output));
        Assert.Equal("ready", output.ToString().Trim());
    }

    /// <summary>Hands out "go" after running an action (here: removing the worker's directory before it starts).</summary>
    private sealed class GoThenRemove(string line, Action before) : TextReader
    {
        public override string? ReadLine()
        {
            before();
            return line;
        }
    }
}
