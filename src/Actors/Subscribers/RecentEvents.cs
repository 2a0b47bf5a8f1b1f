using Akka.Streams.Dsl;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// The last few megabytes of what the hub published, kept as the already-serialized batches it fanned out, shared by
/// every subscriber. A subscriber whose buffer filled for a moment catches up from here: filtering a line it already
/// has costs almost nothing, where reading the journal means inflating, decoding, rebuilding and serializing every
/// event again — under load that extra work made the daemon itself fall behind. Only a subscriber further behind than
/// the window reads the journal. Bounded by bytes (lines plus a per-event estimate); thread-safe (the hub appends,
/// catch-up passes read). The hub keeps it whole only while some subscriber lags (<see cref="OutboundBuffer.IsLagging"/>)
/// and the window still reaches that subscriber: kept events survive into older GC generations, which cost 0.4 s of CPU
/// per 100k events when kept all the time. Otherwise it keeps the newest batch and, of the latest
/// <see cref="LatestSegments"/>, those some filter actor has not taken yet (<see cref="KeepLatest"/>), so a subscriber
/// whose buffer overflows in a batch just published (its filter actor runs after the hub decided) still finds that
/// batch here instead of in the journal.
/// </summary>
public sealed class RecentEvents(long capacityBytes)
{
    /// <summary>Per-event bytes besides its line: the event, its facts and their arrays, roughly.</summary>
    internal const int EventOverhead = 160;

    private readonly Queue<Segment> _segments = new();
    private readonly object _gate = new();
    private long _bytes;
    private long _from = 1, _through; // the offsets the window holds (when it holds anything)
    private long _publishedThrough;   // as of the last Reset: what the hub published without keeping (read only when empty)
    private long _windowPasses, _journalPasses;

    /// <summary>One published batch: every shown event with an offset in [From, Through], in order.</summary>
    public sealed record Segment(long From, long Through, PublishedEvent[] Events, long Bytes);

    public long CapacityBytes => capacityBytes;

    /// <summary>Adds a published batch covering offsets <paramref name="from"/>..<paramref name="through"/>; a batch that
    /// does not follow the previous one (the hub published without keeping, e.g. while nobody listened) starts over.</summary>
    public void Append(long from, long through, PublishedEvent[] events)
    {
        if (capacityBytes <= 0 || through < from) return;
        long bytes = 0;
        foreach (var e in events) bytes += e.Line.Length + EventOverhead;
        lock (_gate)
        {
            if (_segments.Count > 0 && from != _through + 1) Clear();
            if (_segments.Count == 0) _from = from;
            _segments.Enqueue(new Segment(from, through, events, bytes));
            _through = through;
            _bytes += bytes;
            while (_bytes > capacityBytes && _segments.Count > 1)
            {
                var old = _segments.Dequeue();
                _bytes -= old.Bytes;
                _from = old.Through + 1;
            }
        }
    }

    /// <summary>Batches <see cref="KeepLatest"/> keeps: the one just published and two before it (filter actors may
    /// still be working on those when the hub publishes the next).</summary>
    internal const int LatestSegments = 3;

    /// <summary>
    /// Adds a published batch but keeps only the latest <see cref="LatestSegments"/> (nobody lags, or nobody the window
    /// could still serve), and of the older ones only those some filter actor has not passed yet: enough for a
    /// subscriber that overflows in a batch its filter is still working on, too little to be kept across collections
    /// under load (each kept batch is promoted by every collection that finds it).
    /// </summary>
    /// <param name="everyFilterFrom">The lowest offset any subscriber's filter still has to take (<see cref="OutboundBuffer.NextOffset"/>):
    /// older batches ending before it are dropped. <see cref="long.MinValue"/> keeps all <see cref="LatestSegments"/>.</param>
    public void KeepLatest(long from, long through, PublishedEvent[] events, long everyFilterFrom = long.MinValue)
    {
        if (capacityBytes <= 0 || through < from)
        {
            Reset(through);
            return;
        }
        Append(from, through, events);
        lock (_gate)
        {
            while (_segments.Count > LatestSegments || (_segments.Count > 1 && _segments.Peek().Through < everyFilterFrom))
            {
                var old = _segments.Dequeue();
                _bytes -= old.Bytes;
                _from = old.Through + 1;
            }
        }
    }

    /// <summary>
    /// Whether a subscriber that next needs <paramref name="next"/> can still be served from the window: it is not
    /// behind the oldest kept offset (or nothing is kept yet). One further behind reads the journal anyway, so keeping
    /// the window for it would only cost the GC.
    /// </summary>
    public bool Reaches(long next)
    {
        lock (_gate) return _segments.Count == 0 || next >= _from;
    }

    /// <summary>
    /// Forgets everything: the hub stopped keeping a contiguous record, having published up to
    /// <paramref name="publishedThrough"/>.
    /// </summary>
    public void Reset(long publishedThrough)
    {
        lock (_gate)
        {
            Clear();
            _publishedThrough = Math.Max(_publishedThrough, publishedThrough);
        }
    }

    /// <summary>
    /// For a reader at <paramref name="from"/> with nothing behind the window: the last offset of what is gone (from
    /// <paramref name="from"/> up to the window's start, or with an empty window up to what the hub published without
    /// keeping); null when nothing from <paramref name="from"/> on is gone.
    /// </summary>
    public long? GoneThrough(long from)
    {
        lock (_gate)
        {
            if (_segments.Count > 0) return from < _from ? _from - 1 : null;
            return from <= _publishedThrough ? _publishedThrough : null;
        }
    }

    private void Clear()
    {
        _segments.Clear();
        _bytes = 0;
    }

    /// <summary>
    /// Whether the window reaches back to <paramref name="from"/> (counted as a pass served from the window); false when
    /// it does not (or is empty), so the caller must read the journal (counted as such).
    /// </summary>
    public bool Covers(long from)
    {
        lock (_gate)
        {
            bool covers = _segments.Count > 0 && from >= _from;
            if (covers) _windowPasses++;
            else _journalPasses++;
            return covers;
        }
    }

    /// <summary>
    /// The kept batch holding <paramref name="from"/> or the first one after it; null when nothing newer is kept or
    /// the window no longer reaches back that far. Looked up batch by batch, so a slow reader holds one batch, not a
    /// snapshot of the whole window.
    /// </summary>
    public Segment? SegmentFrom(long from)
    {
        lock (_gate)
        {
            if (_segments.Count == 0 || from < _from || from > _through) return null;
            foreach (var s in _segments)
                if (s.Through >= from) return s;
            return null;
        }
    }

    public RecentEventsStats Stats()
    {
        lock (_gate)
            return new RecentEventsStats(capacityBytes, _bytes, _segments.Count == 0 ? null : _from,
                _segments.Count == 0 ? null : _through, _windowPasses, _journalPasses);
    }
}

/// <param name="FromOffset">Oldest offset kept (null when empty).</param>
/// <param name="WindowPasses">Catch-up passes served from the window.</param>
/// <param name="JournalPasses">Catch-up passes that had to read the journal.</param>
public sealed record RecentEventsStats(long CapacityBytes, long Bytes, long? FromOffset, long? ThroughOffset, long WindowPasses, long JournalPasses);

/// <summary>
/// The stored history of a daemon without a journal: nothing is stored, so whatever is older than the recent window is
/// gone. A read from before the window's start reports exactly those offsets as one gap (reason "window"); with an
/// empty window, everything the hub published without keeping is gone (a subscriber that stalled and woke up learns
/// it at once, even when no event follows). Meanwhile the hub keeps the window for any subscriber that lags
/// (<see cref="OutboundBuffer.IsLagging"/>), so one that falls behind for less than the window loses nothing, as with
/// a journal.
/// </summary>
public sealed class GoneBeforeWindow(RecentEvents window) : IEventHistory
{
    public Source<HistoryChunk, Akka.NotUsed> Read(long fromOffset, SubscriptionFilter filter) =>
        window.GoneThrough(fromOffset) is { } gone
            ? Source.Single(new HistoryChunk([], gone, fromOffset, gone, GapReason: "window"))
            : Source.Empty<HistoryChunk>();

    // Starting points in the past are for a journal: the control server refuses "from" without one, before the hub.
    public Task<long> OldestOffsetAsync(CancellationToken ct) =>
        Task.FromException<long>(new NotSupportedException("this daemon keeps no event journal"));

    public Task<long?> OffsetAtTimeAsync(DateTimeOffset time, CancellationToken ct) =>
        Task.FromException<long?>(new NotSupportedException("this daemon keeps no event journal"));
}

/// <summary>
/// History for catching-up subscribers: the <see cref="RecentEvents"/> window when it reaches back to the subscriber's
/// next offset, otherwise the stored history (the journal). Each catch-up pass asks again, so a subscriber far
/// behind reads the journal until it is within the window, then finishes from memory.
/// </summary>
public sealed class WindowedHistory(RecentEvents window, IEventHistory stored) : IEventHistory
{
    public RecentEvents Window => window;

    public Source<HistoryChunk, Akka.NotUsed> Read(long fromOffset, SubscriptionFilter filter)
    {
        if (!window.Covers(fromOffset)) return stored.Read(fromOffset, filter);
        // One batch at a time: the pass ends early if the window moves past it (the next pass reads the journal).
        return Source.Unfold(fromOffset, next =>
        {
            if (window.SegmentFrom(next) is not { } s) return Akka.Util.Option<(long, HistoryChunk)>.None;
            var matched = new List<PublishedEvent>();
            foreach (var e in s.Events)
                if (e.Offset >= next && filter.Matches(e.Facts)) matched.Add(e);
            return new Akka.Util.Option<(long, HistoryChunk)>((s.Through + 1, new HistoryChunk(matched, s.Through)));
        });
    }

    public Task<long> OldestOffsetAsync(CancellationToken ct) => stored.OldestOffsetAsync(ct);

    public Task<long?> OffsetAtTimeAsync(DateTimeOffset time, CancellationToken ct) => stored.OffsetAtTimeAsync(time, ct);
}
