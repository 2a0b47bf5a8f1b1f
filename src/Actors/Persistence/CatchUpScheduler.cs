using System.Collections.Concurrent;
using FsAudit.Actors.Pipeline;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// Runs the journal catch-up work (inflate, decode, rebuild, serialize) of subscribers that fell behind on a few
/// dedicated threads with a raised nice value. Catch-up is the most expensive way to deliver an event; at the live
/// pipeline's priority it took the CPU the live path needed on a loaded 2-core machine, which then fell behind
/// itself (spilling to disk). Niced, a lagging subscriber only lags longer: the journal holds its events.
/// </summary>
public sealed class CatchUpScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = new();
    private readonly Thread[] _threads;

    /// <param name="threads">Dedicated threads (catch-up passes of all subscribers share them).</param>
    /// <param name="nice">Their nice value (0 = as inherited).</param>
    public CatchUpScheduler(int threads = 1, int nice = 10, string name = "fsaudit-catch-up")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(() => Run(nice)) { IsBackground = true, Name = threads == 1 ? name : $"{name}-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Why the nice value could not be set (the threads run at the inherited one); null when it was.</summary>
    public string? NiceFailure { get; private set; }

    public override int MaximumConcurrencyLevel => _threads.Length;

    private void Run(int nice)
    {
        if (nice != 0 && ThreadNice.TrySetCurrentThread(nice) is { } failure) NiceFailure = failure;
        try
        {
            foreach (var task in _queue.GetConsumingEnumerable()) TryExecuteTask(task);
        }
        catch (ObjectDisposedException) { }
    }

    protected override void QueueTask(Task task)
    {
        try { _queue.Add(task); }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Shutting down: run it here rather than leave its awaiter hanging.
            TryExecuteTask(task);
        }
    }

    // Never inline: the point is to leave the caller's (live pipeline) thread.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    /// <summary>Runs <paramref name="work"/> on one of the catch-up threads.</summary>
    public Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this);

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5));
        _queue.Dispose();
    }
}
