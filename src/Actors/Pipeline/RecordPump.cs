using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// The dedicated reader thread: calls <see cref="IRecordReader.Read"/> in a loop and hands every
/// result to the <see cref="RecordBuffer"/> at once, so the kernel socket is always drained no matter
/// how slow the pipeline is. Not a thread-pool thread: pool starvation must never stall the socket.
/// </summary>
internal sealed class RecordPump : IDisposable
{
    private readonly IRecordReader _reader;
    private readonly RecordBuffer _buffer;
    private readonly int _pollMs;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _readCalls, _records;
    private int _started;

    public RecordPump(IRecordReader reader, RecordBuffer buffer, int pollMs, string threadName = "fsaudit-record-reader")
    {
        _reader = reader;
        _buffer = buffer;
        _pollMs = Math.Max(1, pollMs);
        _thread = new Thread(Run) { IsBackground = true, Name = threadName, Priority = ThreadPriority.AboveNormal };
    }

    public long ReadCalls => Interlocked.Read(ref _readCalls);
    public long Records => Interlocked.Read(ref _records);
    public ReaderCounters ReaderCounters => _reader.Counters;

    /// <summary>Set when the reader threw: reading stopped, buffered records still flow, then the stream fails.</summary>
    public Exception? Failure { get; private set; }

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
        var scratch = new List<AuditRecord>(1024);
        Exception? failure = null;
        while (!_stopping)
        {
            scratch.Clear();
            try
            {
                _reader.Read(scratch, _pollMs);
            }
            catch (Exception e)
            {
                failure = e;
                Failure = e;
            }
            Interlocked.Increment(ref _readCalls);
            if (scratch.Count > 0)
            {
                Interlocked.Add(ref _records, scratch.Count);
                _buffer.Add(scratch);
            }
            if (failure is not null) break;
        }
        _buffer.Complete(failure);
    }

    public void Dispose()
    {
        Stop();
        _reader.Dispose();
    }
}
