using FsAudit.Actors.Persistence;
using FsAudit.Actors.Pipeline;
using Xunit;

namespace FsAudit.Tests.Persistence;

public class CatchUpSchedulerTests
{
    [Fact]
    public async Task Work_runs_on_its_own_niced_threads_never_on_the_caller()
    {
        using var scheduler = new CatchUpScheduler(threads: 2, nice: 7, name: "test-catch-up");
        int caller = Environment.CurrentManagedThreadId;
        var seen = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            scheduler.Run(() => (Thread.CurrentThread.Name, Environment.CurrentManagedThreadId, ThreadNice.CurrentThread()))));

        Assert.All(seen, s => Assert.NotEqual(caller, s.CurrentManagedThreadId));
        Assert.All(seen, s => Assert.StartsWith("test-catch-up-", s.Name));
        Assert.True(seen.Select(s => s.CurrentManagedThreadId).Distinct().Count() <= 2);
        // Raising one's own nice value needs no privilege, so this holds for any user.
        Assert.Null(scheduler.NiceFailure);
        Assert.All(seen, s => Assert.Equal(7, s.Item3));
    }

    [Fact]
    public async Task A_failing_piece_of_work_faults_its_task_and_the_threads_keep_serving()
    {
        using var scheduler = new CatchUpScheduler(threads: 1, nice: 0);
        await Assert.ThrowsAsync<InvalidDataException>(() => scheduler.Run<int>(() => throw new InvalidDataException("damaged batch")));
        Assert.Equal(42, await scheduler.Run(() => 42));
    }

    [Fact]
    public async Task Work_queued_after_dispose_still_completes()
    {
        var scheduler = new CatchUpScheduler(threads: 1, nice: 0);
        scheduler.Dispose();
        Assert.Equal(7, await scheduler.Run(() => 7).WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
