using System.Diagnostics;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// The dedicated reader thread: calls <see cref="IRecordReader.Read"/> in a loop and hands every
/// result to the <see cref="RecordBuffer"/> at once, so the kernel socket is always drained no matter
/// how slow the pipeline is. Not a thread-pool thread: pool starvation must never stall the socket.
/// <para>
/// Two knobs trade nothing but a few milliseconds of latency for CPU. <c>niceValue</c> renices this
/// thread alone (see <see cref="ThreadNice"/>). <c>coalesceMs</c>: after a read that returned less than a
/// full batch without filling the reader's buffer, the thread sleeps that long before reading again, so the next read drains many records
/// at once. The kernel keeps queueing into the socket's receive buffer meanwhile (never blocking the
/// producers while it has room), and every read wakes the pipeline for one round of messages between
/// threads: measured with bench/PipelineBench, a round costs ~100-300 µs of CPU on 2 cores, so reading
/// once per record or two (what a reader that is always ready does) multiplies the cost per event.
/// </para>
/// </summary>
internal sealed class RecordPump : IDisposable
{
    private readonly IRecordReader _reader;
    private readonly RecordBuffer _buffer;
    private readonly int _pollMs;
    private readonly int _coalesceMs;
    private readonly int _coalesceBelow;
    private readonly int _nice;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _readCalls, _records;
    private long _longestGapTicks; // Stopwatch ticks; written by the reader thread only
    private int _started;

    /// <param name="coalesceMs">Sleep after a read of fewer than <paramref name="coalesceBelowRecords"/> records that did not fill the
    /// reader's buffer (<see cref="IRecordReader.FilledLastRead"/>); 0 = read again at once.</param>
    /// <param name="niceValue">The reader thread's nice value (-20..19); 0 = leave it as inherited.</param>
    public RecordPump(IRecordReader reader, RecordBuffer buffer, int pollMs, int coalesceMs = 0, int coalesceBelowRecords = int.MaxValue,
        int niceValue = 0, string threadName = "fsaudit-record-reader")
    {
        _reader = reader;
        _buffer = buffer;
        _pollMs = Math.Max(1, pollMs);
        _coalesceMs = Math.Max(0, coalesceMs);
        _coalesceBelow = coalesceBelowRecords;
        _nice = niceValue;
        _thread = new Thread(Run) { IsBackground = true, Name = threadName };
    }

    public long ReadCalls => Interlocked.Read(ref _readCalls);
    public long Records => Interlocked.Read(ref _records);
    public ReaderCounters ReaderCounters => _reader.Counters;

    /// <summary>
    /// The longest time between the end of one read and the start of the next since the reader started: the coalescing
    /// sleep, handing records to the buffer (spilling included) and any wait for a core or for the GC. The kernel keeps
    /// queueing into the socket meanwhile; a gap longer than its receive buffer holds shows up as reader overruns.
    /// </summary>
    public TimeSpan LongestGap => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestGapTicks));

    /// <summary>Set when the reader threw: reading stopped, buffered records still flow, then the stream fails.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Why the reader thread's nice value could not be set (it runs at the inherited one); null when set or not asked.</summary>
    public string? NiceFailure { get; private set; }

    /// <summary>The reader thread's nice value once it runs (null before, or when it cannot be read).</summary>
    public int? ReaderNice { get; private set; }

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0) _thread.Start();
    }

    /// <summary>Stops reading (within one poll interval) and waits for the thread; completes the buffer.</summary>
    public void Stop()
    {
        _stopping = true;
        if (Volatile.Read(ref _started) == 1) _thread.Join();
        else _buffer.Complete(null);
    }

    private void Run()
    {
        if (_nice != 0) NiceFailure = ThreadNice.TrySetCurrentThread(_nice);
        ReaderNice = ThreadNice.CurrentThread();
        var scratch = new List<AuditRecord>(1024);
        Exception? failure = null;
        long lastReadEnd = 0;
        while (!_stopping)
        {
            scratch.Clear();
            long readStart = Stopwatch.GetTimestamp();
            if (lastReadEnd != 0 && readStart - lastReadEnd > _longestGapTicks)
                Interlocked.Exchange(ref _longestGapTicks, readStart - lastReadEnd);
            try
            {
                _reader.Read(scratch, _pollMs);
            }
            catch (Exception e)
            {
                failure = e;
                Failure = e;
            }
            lastReadEnd = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _readCalls);
            if (scratch.Count > 0)
            {
                Interlocked.Add(ref _records, scratch.Count);
                _buffer.Add(scratch);
            }
            if (failure is not null) break;
            // Let records pile up in the socket so the next read takes many at once (see the class remarks).
            // Not after a read that filled the reader's buffer: the socket holds more, and a burst (a start under a
            // flood) would otherwise be drained one buffer per sleep.
            if (_coalesceMs > 0 && scratch.Count > 0 && scratch.Count < _coalesceBelow && !_reader.FilledLastRead && !_stopping)
                Thread.Sleep(_coalesceMs);
        }
        _buffer.Complete(failure);
    }

    public void Dispose()
    {
        Stop();
        _reader.Dispose();
    }
}
