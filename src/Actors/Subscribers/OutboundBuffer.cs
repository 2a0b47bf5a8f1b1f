namespace FsAudit.Actors.Subscribers;

/// <summary>
/// One subscriber's bounded queue of outbound lines, between its filter actor (producer, never blocks) and
/// its connection writer (consumer). When full, matching events are dropped and counted as one pending gap;
/// the gap notice is queued as soon as there is room again, before any later event, so the subscriber sees
/// exactly where its stream has a hole. Thread-safe; the lock is held only for queue bookkeeping.
/// </summary>
public sealed class OutboundBuffer
{
    private readonly object _lock = new();
    private readonly Queue<(byte[] Line, bool IsEvent)> _lines = new();
    private TaskCompletionSource<bool>? _waiter;
    private long _queuedBytes;
    private bool _completed;

    private long _gapFrom, _gapTo, _gapMissed;
    private long _matched, _delivered, _missed, _gaps;

    /// <param name="capacityBytes">Bytes of queued lines beyond which events are dropped. One line is always accepted into an empty buffer.</param>
    public OutboundBuffer(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1);
        CapacityBytes = capacityBytes;
    }

    public long CapacityBytes { get; }

    /// <summary>Queues an event that matched the subscriber's filter, or counts it as missed when there is no room.</summary>
    public void Offer(PublishedEvent e)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            if (_completed) return;
            _matched++;
            TryQueueGapNotice();
            if (_gapMissed > 0 || !HasRoom(e.Line.Length))
            {
                if (_gapMissed == 0) _gapFrom = e.Offset;
                _gapTo = e.Offset;
                _gapMissed++;
                _missed++;
            }
            else Enqueue(e.Line, isEvent: true);
            wake = _lines.Count > 0 ? TakeWaiter() : null;
        }
        wake?.TrySetResult(true);
    }

    /// <summary>True when lines are ready; false once completed and drained.</summary>
    public ValueTask<bool> WaitAsync(CancellationToken ct)
    {
        Task<bool> wait;
        lock (_lock)
        {
            if (_lines.Count > 0) return ValueTask.FromResult(true);
            if (_completed) return ValueTask.FromResult(false);
            _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _waiter.Task;
        }
        return new ValueTask<bool>(wait.WaitAsync(ct));
    }

    /// <summary>
    /// Moves queued lines, oldest first, into <paramref name="into"/>: at least one when any is queued, then
    /// more while their total stays within <paramref name="maxBytes"/>. Returns the bytes taken.
    /// </summary>
    public int TakeInto(List<byte[]> into, int maxBytes)
    {
        int taken = 0;
        lock (_lock)
        {
            while (_lines.TryPeek(out var next) && (taken == 0 || taken + next.Line.Length <= maxBytes))
            {
                _lines.Dequeue();
                into.Add(next.Line);
                taken += next.Line.Length;
                _queuedBytes -= next.Line.Length;
                if (next.IsEvent) _delivered++;
            }
            if (taken > 0) TryQueueGapNotice();
        }
        return taken;
    }

    /// <summary>No more events: the writer drains what is queued, then <see cref="WaitAsync"/> answers false.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            _completed = true;
            wake = TakeWaiter();
        }
        wake?.TrySetResult(false);
    }

    public OutboundStats Stats
    {
        get
        {
            lock (_lock) return new OutboundStats(_matched, _delivered, _missed, _gaps, _lines.Count, _queuedBytes, CapacityBytes);
        }
    }

    private bool HasRoom(int bytes) => _queuedBytes == 0 || _queuedBytes + bytes <= CapacityBytes;

    // Everything queued was offered before the first missed event, so the tail is the notice's place.
    private void TryQueueGapNotice()
    {
        if (_gapMissed == 0) return;
        var notice = JsonLines.Gap(_gapFrom, _gapTo, _gapMissed);
        if (!HasRoom(notice.Length)) return;
        Enqueue(notice, isEvent: false);
        _gaps++;
        _gapMissed = 0;
    }

    private void Enqueue(byte[] line, bool isEvent)
    {
        _lines.Enqueue((line, isEvent));
        _queuedBytes += line.Length;
    }

    private TaskCompletionSource<bool>? TakeWaiter()
    {
        var w = _waiter;
        _waiter = null;
        return w;
    }
}

/// <param name="Matched">Events that passed the filter.</param>
/// <param name="Delivered">Events handed to the connection writer.</param>
/// <param name="Missed">Matching events dropped because the buffer was full.</param>
/// <param name="Gaps">Gap notices queued.</param>
public readonly record struct OutboundStats(
    long Matched, long Delivered, long Missed, long Gaps, int QueuedLines, long QueuedBytes, long CapacityBytes)
{
    public double Fill => CapacityBytes == 0 ? 0 : Math.Min(1.0, (double)QueuedBytes / CapacityBytes);
}
