using FsAudit.Actors.Pipeline;
using FsAudit.Host.Daemon;
using Xunit;

namespace FsAudit.Tests.Daemon;

public class DaemonThreadPriorityTests
{
    /// <summary>A thread that records its tid, optionally sets its own nice value, and waits until released.</summary>
    private sealed class Parked : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly ManualResetEventSlim _ready = new();
        private readonly Thread _thread;

        public Parked(int? ownNice = null)
        {
            _thread = new Thread(() =>
            {
                if (ownNice is { } n) ThreadNice.TrySetCurrentThread(n);
                Tid = ThreadNice.CurrentThreadId();
                _ready.Set();
                _release.Wait();
            }) { IsBackground = true };
            _thread.Start();
            _ready.Wait();
        }

        public int Tid { get; private set; }

        public void Dispose()
        {
            _release.Set();
            _thread.Join();
        }
    }

    [Fact]
    public async Task Threads_at_the_inherited_nice_move_to_the_target_and_threads_with_their_own_stay()
    {
        // Raising nice values needs no privilege, so this runs as any user; it touches only these two threads.
        using var plain = new Parked();
        using var own = new Parked(ownNice: 6);
        int baseline = ThreadNice.Get(plain.Tid)!.Value;
        using var priority = DaemonThreadPriority.Start(baseline + 3, TimeSpan.FromMilliseconds(50), () => [plain.Tid, own.Tid]);
        Assert.NotNull(priority);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (ThreadNice.Get(plain.Tid) != baseline + 3 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(baseline + 3, ThreadNice.Get(plain.Tid));
        Assert.Equal(6, ThreadNice.Get(own.Tid));
        Assert.Null(priority.Failure);
        Assert.Equal(1, priority.Reniced);
    }

    [Fact]
    public void Zero_leaves_every_thread_alone()
    {
        Assert.Null(DaemonThreadPriority.Start(0));
    }
}
