using System.Runtime.InteropServices;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Engine.Correlation;

/// <summary>
/// Groups records into events by serial. Pure and single-threaded: the caller supplies the clock
/// (<c>nowMs</c>) and a collection to receive completed events.
/// <list type="bullet">
/// <item>Netlink mode: an event completes on its EOE; always-alone types complete at once; events are
/// emitted as soon as they complete (the kernel delivers nearly in serial order).</item>
/// <item>Log mode (auditd writes no EOE): an event completes once a newer serial was seen and
/// <see cref="CorrelatorOptions.LogSlackRecords"/> records arrived after its last one; events are
/// emitted in serial order.</item>
/// <item>Timeout (<see cref="Expire"/>), cap on open events (eviction of the oldest) and <see cref="Flush"/>
/// emit what is open. In Netlink mode an event holding a SYSCALL record without its EOE is flagged
/// <see cref="AuditEvent.Incomplete"/>; evicted events are always flagged. Nothing is dropped silently.</item>
/// </list>
/// </summary>
public sealed class Correlator
{
    private sealed class Pending
    {
        public uint Serial;
        public long FirstSeenMs;
        public long LastRecordSeq;
        public bool HasSyscall;
        public bool Done;   // emitted (or recycled); only waits to leave the order list
        public bool Ready;  // complete, held to keep serial order (Log mode)
        public readonly List<AuditRecord> Records = new(8);
    }

    private readonly CorrelatorOptions _options;
    private readonly bool _log;
    private readonly Dictionary<uint, Pending> _open = new();
    // The event the previous record went to: the records of one event arrive together, so most records skip the
    // dictionary. Null or in _open: whatever leaves _open goes through Unregister, which forgets it.
    private Pending? _last;
    private readonly List<Pending> _order = new(); // by serial (rollover-aware), from _head
    private int _head;
    private readonly Stack<Pending> _pool = new();
    private readonly SerialGapTracker? _gaps;

    private int _inFlight;
    private long _seq;
    private bool _haveNewest;
    private uint _newest;
    private bool _haveEmitted;
    private uint _lastEmitted;

    private long _records, _completed, _incomplete, _timedOut, _evicted, _late, _buildErrors;

    public Correlator(CorrelatorOptions options)
    {
        options.Validate();
        _options = options;
        _log = options.Mode == CorrelationMode.Log;
        if (options.TrackGaps) _gaps = new SerialGapTracker(options.GapWindow);
    }

    public CorrelatorOptions Options => _options;

    /// <summary>Events opened and not yet emitted.</summary>
    public int InFlight => _inFlight;

    /// <summary>The gap tracker when <see cref="CorrelatorOptions.TrackGaps"/> is on.</summary>
    public SerialGapTracker? Gaps => _gaps;

    public CorrelatorCounters Counters => new(_records, _completed, _incomplete, _timedOut, _evicted,
        _gaps?.PossiblyLost ?? 0, _late, _buildErrors);

    public void Add(AuditRecord r, long nowMs, ICollection<AuditEvent> completed)
    {
        _records++;
        _seq++;
        uint serial = r.Serial;

        if (RecordKinds.IsDaemon(r.Type))
        {
            // auditd's own serial space: neither ordered nor gap-tracked with the kernel's.
            Emit(Single(r), completed);
            return;
        }

        _gaps?.Observe(serial);
        ObserveNewest(serial, completed);

        if (r.Type == RecordKinds.Eoe)
        {
            if (Unregister(serial) is { } p)
            {
                if (_log) p.Ready = true;
                else Complete(p, incomplete: false, completed);
            }
            else _late++;
        }
        else if (RecordKinds.IsAlwaysAlone(r.Type))
        {
            if (_log)
            {
                var p = Open(serial, nowMs, completed, register: false);
                p.Records.Add(r);
                p.LastRecordSeq = _seq;
                p.Ready = true;
            }
            else Emit(Single(r), completed);
        }
        else
        {
            var p = _last;
            if (p == null || p.Serial != serial)
            {
                if (!_open.TryGetValue(serial, out p))
                {
                    if (_log && _haveEmitted && SerialMath.IsNewer(_lastEmitted, serial)) _late++;
                    p = Open(serial, nowMs, completed, register: true);
                }
                _last = p;
            }
            p.Records.Add(r);
            p.LastRecordSeq = _seq;
            if (r.Type == RecordKinds.Syscall) p.HasSyscall = true;
        }

        if (_log) DrainLogFront(completed);
        EnforceCap(completed);
    }

    /// <summary>Emits events open for longer than <see cref="CorrelatorOptions.TimeoutMs"/>.</summary>
    public void Expire(long nowMs, ICollection<AuditEvent> completed)
    {
        long limit = nowMs - _options.TimeoutMs;
        for (int i = _head; i < _order.Count; i++)
        {
            var p = _order[i];
            if (p.Done || p.FirstSeenMs > limit) continue;
            if (p.Ready) { Complete(p, incomplete: false, completed); continue; }
            Unregister(p);
            _timedOut++;
            Complete(p, incomplete: OwesEoe(p), completed);
        }
        if (_log) DrainLogFront(completed);
        Compact();
    }

    /// <summary>Emits every open event (end of input, shutdown) in serial order.</summary>
    public void Flush(ICollection<AuditEvent> completed)
    {
        for (int i = _head; i < _order.Count; i++)
        {
            var p = _order[i];
            if (p.Done) continue;
            if (!p.Ready) Unregister(p);
            Complete(p, incomplete: !p.Ready && OwesEoe(p), completed);
        }
        _gaps?.Finish();
        Compact();
    }

    private bool OwesEoe(Pending p) => !_log && p.HasSyscall;

    private void ObserveNewest(uint serial, ICollection<AuditEvent> completed)
    {
        if (!_haveNewest) { _haveNewest = true; _newest = serial; return; }
        int d = SerialMath.Distance(_newest, serial);
        if (d > SerialGapTracker.ResyncDistance || d < -SerialGapTracker.ResyncDistance)
        {
            // A new serial space (reboot inside a log, another host): what is open belongs to the old one.
            FlushOpenAsComplete(completed);
            _newest = serial;
            _haveEmitted = false;
        }
        else if (d > 0) _newest = serial;
    }

    private void FlushOpenAsComplete(ICollection<AuditEvent> completed)
    {
        for (int i = _head; i < _order.Count; i++)
        {
            var p = _order[i];
            if (p.Done) continue;
            if (!p.Ready) Unregister(p);
            Complete(p, incomplete: !p.Ready && OwesEoe(p), completed);
        }
        Compact();
    }

    private Pending Open(uint serial, long nowMs, ICollection<AuditEvent> completed, bool register)
    {
        var p = _pool.Count > 0 ? _pool.Pop() : new Pending();
        p.Serial = serial;
        p.FirstSeenMs = nowMs;
        p.HasSyscall = false;
        p.Done = false;
        p.Ready = false;
        if (register) _open[serial] = p;
        InsertOrdered(p);
        _inFlight++;
        return p;
    }

    private void Unregister(Pending p) => Unregister(p.Serial);

    /// <summary>Removes the open event of <paramref name="serial"/>, if any, and forgets it as the last one.</summary>
    private Pending? Unregister(uint serial)
    {
        if (!_open.Remove(serial, out var removed)) return null;
        if (ReferenceEquals(removed, _last)) _last = null;
        return removed;
    }

    private void InsertOrdered(Pending p)
    {
        int i = _order.Count;
        // Usually the newest: append. Otherwise walk back to the last entry not newer than it.
        while (i > _head && SerialMath.IsNewer(_order[i - 1].Serial, p.Serial)) i--;
        if (i == _order.Count) _order.Add(p);
        else if (i == _head && _head > 0) _order[--_head] = p;
        else _order.Insert(i, p);
    }

    /// <summary>Log mode: emit from the front while the oldest event is done, ready, or left behind.</summary>
    private void DrainLogFront(ICollection<AuditEvent> completed)
    {
        long slack = _options.LogSlackRecords;
        while (_head < _order.Count)
        {
            var p = _order[_head];
            if (p.Done) { PopFront(); continue; }
            if (p.Ready) { Complete(p, incomplete: false, completed); PopFront(); continue; }
            if (SerialMath.IsNewer(_newest, p.Serial) && _seq - p.LastRecordSeq >= slack)
            {
                Unregister(p);
                Complete(p, incomplete: false, completed);
                PopFront();
                continue;
            }
            break;
        }
    }

    private void EnforceCap(ICollection<AuditEvent> completed)
    {
        while (_head < _order.Count && _order[_head].Done) PopFront();
        while (_inFlight > _options.MaxInFlight && _head < _order.Count)
        {
            var p = _order[_head];
            if (!p.Done)
            {
                if (p.Ready) Complete(p, incomplete: false, completed);
                else
                {
                    Unregister(p);
                    _evicted++;
                    Complete(p, incomplete: true, completed, countIncomplete: false);
                }
            }
            PopFront();
        }
        if (_order.Count - _head > 2 * _inFlight + 1024) Compact();
    }

    private void Complete(Pending p, bool incomplete, ICollection<AuditEvent> completed, bool countIncomplete = true)
    {
        p.Done = true;
        _inFlight--;
        if (incomplete && countIncomplete) _incomplete++;
        Emit(BuildSafe(CollectionsMarshal.AsSpan(p.Records), incomplete), completed);
        if (!_haveEmitted || SerialMath.IsNewer(p.Serial, _lastEmitted)) { _lastEmitted = p.Serial; _haveEmitted = true; }
        p.Records.Clear();
    }

    private void Emit(AuditEvent e, ICollection<AuditEvent> completed)
    {
        _completed++;
        completed.Add(e);
    }

    private AuditEvent Single(AuditRecord r) => BuildSafe(new ReadOnlySpan<AuditRecord>(in r), incomplete: false);

    private AuditEvent BuildSafe(ReadOnlySpan<AuditRecord> records, bool incomplete)
    {
        try
        {
            return EventBuilder.BuildFrom(records, incomplete);
        }
        catch (Exception)
        {
            // A bug in interpretation must not lose the records: emit them uninterpreted, counted.
            _buildErrors++;
            var copy = records.ToArray();
            return new AuditEvent
            {
                Serial = copy.Length > 0 ? copy[0].Serial : 0,
                TimestampMs = copy.Length > 0 ? copy[0].TimestampMs : 0,
                Type = copy.Length > 0 ? Kernel.RecordTypeNames.Name(copy[0].Type) : "",
                Records = copy,
                Incomplete = incomplete,
            };
        }
    }

    private void PopFront()
    {
        var p = _order[_head];
        _order[_head] = null!;
        _head++;
        Recycle(p);
        if (_head == _order.Count) { _order.Clear(); _head = 0; }
        else if (_head > 1024 && _head * 2 > _order.Count) { _order.RemoveRange(0, _head); _head = 0; }
    }

    /// <summary>Drops emitted entries from the order list (they pile up when a netlink event completes out of order).</summary>
    private void Compact()
    {
        int w = 0;
        for (int i = _head; i < _order.Count; i++)
        {
            var p = _order[i];
            if (p.Done) Recycle(p);
            else _order[w++] = p;
        }
        _order.RemoveRange(w, _order.Count - w);
        _head = 0;
    }

    private void Recycle(Pending p)
    {
        if (_pool.Count < 1024) _pool.Push(p);
    }
}
