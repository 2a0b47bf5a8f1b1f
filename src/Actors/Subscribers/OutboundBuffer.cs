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
    private TaskCompletionSource<bool>? _roomWaiter;
    private long _queuedBytes;
    private long _capacity;
    private long _lastTakeMs = Environment.TickCount64;
    private long _lastOffset;
    private long _nextOffset;
    private volatile bool _catchingUp;
    private bool _completed;

    private long _gapFrom, _gapTo, _gapMissed;
    private long _matched, _delivered, _missed, _gaps;

    /// <param name="capacityBytes">Bytes of queued lines beyond which events are dropped. One line is always accepted into an empty buffer.</param>
    public OutboundBuffer(long capacityBytes, TimeSpan? stallTime = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1);
        ConfiguredCapacityBytes = capacityBytes;
        _capacity = capacityBytes;
        StallTime = stallTime ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>The capacity asked for at creation.</summary>
    public long ConfiguredCapacityBytes { get; }

    /// <summary>The capacity in force: the configured one, or less while the hub shares a total among many subscribers.</summary>
    public long CapacityBytes => Interlocked.Read(ref _capacity);

    /// <summary>
    /// Sets the capacity in force (at least 1 byte, at most the configured one). Lines already queued stay; a smaller
    /// buffer just takes nothing more until it drains below the new capacity. A producer waiting for room is woken
    /// when it grows.
    /// </summary>
    public void Resize(long capacityBytes)
    {
        long bytes = Math.Clamp(capacityBytes, 1, ConfiguredCapacityBytes);
        TaskCompletionSource<bool>? room = null;
        lock (_lock)
        {
            bool grows = bytes > _capacity;
            _capacity = bytes;
            if (grows)
            {
                room = _roomWaiter;
                _roomWaiter = null;
            }
        }
        room?.TrySetResult(true);
    }

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
            else
            {
                Enqueue(e.Line, isEvent: true);
                _lastOffset = e.Offset;
            }
            wake = _lines.Count > 0 ? TakeWaiter() : null;
        }
        wake?.TrySetResult(true);
    }

    /// <summary>
    /// Queues a matching event when there is room (and no gap is pending); false when full, and then nothing is
    /// counted: the caller (a subscriber with a journal behind it) reads the event from storage later instead.
    /// </summary>
    public bool TryOffer(PublishedEvent e)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            if (_completed) return true;
            if (_gapMissed > 0 || !HasRoom(e.Line.Length)) return false;
            _matched++;
            Enqueue(e.Line, isEvent: true);
            _lastOffset = e.Offset;
            wake = TakeWaiter();
        }
        wake?.TrySetResult(true);
        return true;
    }

    /// <summary>Queues a matching event, waiting for room first (backpressure for history reads). False once completed.</summary>
    public async ValueTask<bool> OfferAsync(PublishedEvent e, CancellationToken ct)
    {
        while (true)
        {
            Task? room = null;
            TaskCompletionSource<bool>? wake = null;
            lock (_lock)
            {
                if (_completed) return false;
                if (_gapMissed == 0 && HasRoom(e.Line.Length))
                {
                    _matched++;
                    Enqueue(e.Line, isEvent: true);
                    _lastOffset = e.Offset;
                    wake = TakeWaiter();
                }
                else
                {
                    _roomWaiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    room = _roomWaiter.Task;
                }
            }
            if (room is null)
            {
                wake?.TrySetResult(true);
                return true;
            }
            await room.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Queues a control line (a notice of pruned offsets, a warning) whatever the fill: it is small and must not be lost.</summary>
    /// <param name="isGap">Counts the line in <see cref="OutboundStats.Gaps"/>.</param>
    public void OfferNotice(byte[] line, bool isGap = true)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            if (_completed) return;
            Enqueue(line, isEvent: false);
            if (isGap) _gaps++;
            wake = TakeWaiter();
        }
        wake?.TrySetResult(true);
    }

    /// <summary>Offset of the newest event queued for the subscriber (0 before the first).</summary>
    public long LastOffset
    {
        get { lock (_lock) return _lastOffset; }
    }

    /// <summary>
    /// The next offset the subscriber's filter actor needs, whether from live batches or a catch-up pass (set by that
    /// actor). The hub keeps its recent window only for lagging subscribers it still reaches.
    /// </summary>
    public long NextOffset
    {
        get => Interlocked.Read(ref _nextOffset);
        set => Interlocked.Exchange(ref _nextOffset, value);
    }

    /// <summary>Set while the subscriber reads from the journal rather than the live stream (shown by status).</summary>
    public bool CatchingUp
    {
        get => _catchingUp;
        set => _catchingUp = value;
    }

    /// <summary>How long a subscriber may take nothing from a non-empty buffer before it counts as stalled (1 s by default).</summary>
    public TimeSpan StallTime { get; }

    /// <summary>
    /// The subscriber is catching up, or its buffer is a quarter full, and it is still reading: it may need the hub's
    /// recent window soon, so the hub keeps it (which costs the GC while kept) for as long as any subscriber is in this
    /// state. One that took nothing for <see cref="StallTime"/> does not count: a stalled reader must not make every
    /// event live longer; when it wakes up it catches up from the journal.
    /// </summary>
    public bool IsLagging => LagsWith(0);

    /// <summary>
    /// <see cref="IsLagging"/> as it would be with <paramref name="incomingBytes"/> more queued: the hub asks before its
    /// batch reaches the filter actor, so a batch that will fill the buffer is kept in the recent window already.
    /// </summary>
    public bool LagsWith(long incomingBytes)
    {
        long queued = Interlocked.Read(ref _queuedBytes);
        if (!_catchingUp && (queued + incomingBytes) * 4 < CapacityBytes) return false;
        return queued == 0 || Environment.TickCount64 - Volatile.Read(ref _lastTakeMs) < StallTime.TotalMilliseconds;
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
        TaskCompletionSource<bool>? room = null;
        try
        {
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
            if (taken > 0)
            {
                Volatile.Write(ref _lastTakeMs, Environment.TickCount64);
                TryQueueGapNotice();
                room = _roomWaiter;
                _roomWaiter = null;
            }
        }
        }
        finally
        {
            room?.TrySetResult(true);
        }
        return taken;
    }

    /// <summary>No more events: the writer drains what is queued, then <see cref="WaitAsync"/> answers false.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? wake, room;
        lock (_lock)
        {
            _completed = true;
            wake = TakeWaiter();
            room = _roomWaiter;
            _roomWaiter = null;
        }
        wake?.TrySetResult(false);
        room?.TrySetResult(false);
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
