using Akka.Actor;
using Akka.Routing;
using Akka.Streams;
using Akka.Streams.Stage;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Correlation;

/// <summary>
/// Hands record batches to the correlator pool and emits, per batch, the events the correlators
/// completed, in batch order. It asks the pool for its routees once at start and routes by serial itself
/// (<see cref="RouteeOf"/>: a serial always reaches the same actor of the fixed-size pool): for each batch
/// every correlator gets ONE <see cref="CorrelateBatch"/> with its share of the records and the collect
/// request, and the batch is done when every correlator answered. At most <c>maxBatchesInFlight</c> batches
/// are outstanding and nothing is pulled beyond that, so memory is bounded, downstream backpressure reaches
/// the source, and records that arrive meanwhile wait in the buffer and make the next batch larger. When
/// idle it collects anyway (timed-out events). On upstream completion it flushes the correlators, emits the
/// rest, then completes.
/// </summary>
internal sealed class CorrelateStage<TEvent> : GraphStage<FlowShape<RecordBatch, IReadOnlyList<TEvent>>>
{
    private readonly IActorRef _router;
    private readonly int _routees;
    private readonly int _maxBatchesInFlight;
    private readonly TimeSpan _idleCollectInterval;
    private readonly TimeSpan _answerTimeout;
    private readonly Action<AuditRecord>? _beforeRouting;
    private readonly Func<TEvent, uint> _serialOf;
    private readonly CorrelationCounters _counters;

    public CorrelateStage(IActorRef router, int routees, int maxBatchesInFlight, TimeSpan idleCollectInterval,
        TimeSpan answerTimeout, Action<AuditRecord>? beforeRouting, Func<TEvent, uint> serialOf, CorrelationCounters counters)
    {
        if (routees < 1) throw new ArgumentOutOfRangeException(nameof(routees));
        _router = router;
        _routees = routees;
        _maxBatchesInFlight = Math.Max(1, maxBatchesInFlight);
        _idleCollectInterval = idleCollectInterval;
        _answerTimeout = answerTimeout;
        _beforeRouting = beforeRouting;
        _serialOf = serialOf;
        _counters = counters;
        Shape = new FlowShape<RecordBatch, IReadOnlyList<TEvent>>(In, Out);
    }

    public Inlet<RecordBatch> In { get; } = new("Correlate.in");
    public Outlet<IReadOnlyList<TEvent>> Out { get; } = new("Correlate.out");
    public override FlowShape<RecordBatch, IReadOnlyList<TEvent>> Shape { get; }
    protected override Attributes InitialAttributes => Attributes.CreateName("correlate");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <summary>One collect round: a record batch, an idle collect, or the final flush.</summary>
    private sealed class Round
    {
        public Round(long sequence, int awaiting, bool flush, long startedTicks)
        {
            Sequence = sequence;
            Awaiting = awaiting;
            Flush = flush;
            StartedTicks = startedTicks;
        }

        public long Sequence { get; }
        public bool Flush { get; }
        public long StartedTicks { get; }
        public int Awaiting { get; set; }
        public List<IReadOnlyList<TEvent>> Parts { get; } = new();
    }

    private sealed class Logic : TimerGraphStageLogic, IInHandler, IOutHandler
    {
        private const string TimerKey = "collect";
        private readonly CorrelateStage<TEvent> _s;
        private readonly Queue<Round> _rounds = new();
        private readonly Dictionary<long, Round> _bySequence = new();
        private readonly Dictionary<IActorRef, (int InFlight, long Failures, AssemblerCounters Counters)> _lastAnswer = new();
        private StageActor? _self;
        private IActorRef[]? _routees;
        private List<AuditRecord>[]? _shares;
        private long _routeesAskedTicks;
        private long _nextSequence;
        private bool _flushSent;
        private Exception? _upstreamFailure;

        public Logic(CorrelateStage<TEvent> stage) : base(stage.Shape)
        {
            _s = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            _self = GetStageActor(OnMessage);
            ScheduleRepeatedly(TimerKey, _s._idleCollectInterval);
            _routeesAskedTicks = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
            // Nothing is pulled before the routees are known (OnMessage pulls then).
            _s._router.Tell(GetRoutees.Instance, _self.Ref);
        }

        public void OnPush()
        {
            var batch = Grab(_s.In);
            SendBatch(batch);
            Counters.AddBatch(batch.Count);
            PullIfRoom();
        }

        public void OnUpstreamFinish() => SendFlushIfDue();

        public void OnUpstreamFailure(Exception e)
        {
            // The source failed (reader broke) after emitting everything it had: still deliver what the
            // correlators hold, then fail.
            _upstreamFailure = e;
            SendFlushIfDue();
        }

        public void OnPull() => TryEmit();

        public void OnDownstreamFinish(Exception cause) => CompleteStage();

        protected override void OnTimer(object timerKey)
        {
            if (_routees is null)
            {
                var asked = TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond - _routeesAskedTicks);
                if (asked > _s._answerTimeout)
                    FailStage(new TimeoutException($"the correlator pool did not list its routees within {_s._answerTimeout}"));
                return;
            }
            if (_rounds.Count > 0)
            {
                var oldest = _rounds.Peek();
                var waited = TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond - oldest.StartedTicks);
                if (waited > _s._answerTimeout)
                    FailStage(new TimeoutException(
                        $"correlators did not answer round {oldest.Sequence} within {_s._answerTimeout} ({oldest.Awaiting} of {_s._routees} missing)"));
                return;
            }
            // Idle: collect what the correlators' expire timers completed.
            if (!_flushSent) StartRound(flush: false);
        }

        private CorrelationCounters Counters => _s._counters;

        private void SendBatch(RecordBatch batch)
        {
            var records = batch.Records;
            var routees = _routees!;
            var before = _s._beforeRouting;
            if (before != null)
                for (int i = 0; i < records.Count; i++) before(records[i]);
            if (routees.Length == 1)
            {
                StartRound(flush: false, records);
                return;
            }
            var shares = _shares ??= CreateShares(routees.Length);
            for (int i = 0; i < records.Count; i++)
            {
                var r = records[i];
                shares[RouteeOf(r.Serial, routees.Length)].Add(r);
            }
            StartRound(flush: false, null);
        }

        private static List<AuditRecord>[] CreateShares(int n)
        {
            var shares = new List<AuditRecord>[n];
            for (int i = 0; i < n; i++) shares[i] = new List<AuditRecord>();
            return shares;
        }

        /// <param name="all">Every correlator's records (one correlator), or null: take them from <see cref="_shares"/>.</param>
        private void StartRound(bool flush, IReadOnlyList<AuditRecord>? all = null)
        {
            var routees = _routees!;
            var round = new Round(_nextSequence++, routees.Length, flush, Environment.TickCount64 * TimeSpan.TicksPerMillisecond);
            _rounds.Enqueue(round);
            _bySequence[round.Sequence] = round;
            var self = _self!.Ref;
            for (int i = 0; i < routees.Length; i++)
            {
                IReadOnlyList<AuditRecord> share = Array.Empty<AuditRecord>();
                if (all != null) share = all;
                else if (_shares != null && _shares[i].Count > 0)
                {
                    share = _shares[i].ToArray(); // handed to another actor: a copy of its own
                    _shares[i].Clear();
                }
                routees[i].Tell(new CorrelateBatch(round.Sequence, share, flush), self);
            }
            if (flush) _flushSent = true;
        }

        private void OnMessage((IActorRef Sender, object Message) m)
        {
            if (m.Message is Routees listed)
            {
                OnRoutees(listed);
                return;
            }
            if (m.Message is not CorrelatorAnswer<TEvent> answer) return;
            if (!_bySequence.TryGetValue(answer.Sequence, out var round)) return;
            if (answer.Events.Count > 0) round.Parts.Add(answer.Events);
            round.Awaiting--;
            _lastAnswer[m.Sender] = (answer.InFlight, answer.Failures, answer.Counters);
            if (round.Awaiting == 0)
            {
                int inFlight = 0;
                long failures = 0;
                AssemblerCounters sum = default;
                foreach (var v in _lastAnswer.Values) { inFlight += v.InFlight; failures += v.Failures; sum += v.Counters; }
                Counters.SetCorrelatorState(inFlight, failures, sum);
            }
            TryEmit();
        }

        private void OnRoutees(Routees listed)
        {
            if (_routees is not null) return;
            var refs = new List<IActorRef>();
            foreach (var r in listed.Members)
            {
                if (r is ActorRefRoutee a) refs.Add(a.Actor);
                else
                {
                    FailStage(new InvalidOperationException($"correlator pool routee {r} is not an actor"));
                    return;
                }
            }
            if (refs.Count != _s._routees)
            {
                FailStage(new InvalidOperationException($"correlator pool lists {refs.Count} routees, its deployment says {_s._routees}"));
                return;
            }
            _routees = refs.ToArray();
            PullIfRoom();
            SendFlushIfDue();
        }

        private void TryEmit()
        {
            while (_rounds.Count > 0 && _rounds.Peek().Awaiting == 0)
            {
                var round = _rounds.Peek();
                if (round.Parts.Count > 0)
                {
                    if (!IsAvailable(_s.Out)) break;
                    var events = Merge(round.Parts, _s._serialOf);
                    Dequeue();
                    Counters.AddEvents(events.Count);
                    Push(_s.Out, events);
                }
                else
                {
                    Dequeue();
                }
                if (round.Flush)
                {
                    if (_upstreamFailure is null) CompleteStage();
                    else FailStage(_upstreamFailure);
                    return;
                }
            }
            PullIfRoom();
            SendFlushIfDue();
        }

        private void Dequeue()
        {
            var round = _rounds.Dequeue();
            _bySequence.Remove(round.Sequence);
        }

        private void PullIfRoom()
        {
            if (_routees is null) return;
            if (_rounds.Count < _s._maxBatchesInFlight && !IsClosed(_s.In) && !HasBeenPulled(_s.In)) Pull(_s.In);
        }

        private void SendFlushIfDue()
        {
            // Flush after every earlier round was emitted, so the flush answer is the stream's last element.
            if (_routees is not null && IsClosed(_s.In) && !_flushSent && _rounds.Count == 0) StartRound(flush: true);
        }
    }

    /// <summary>The correlator (index into the pool's routees) that owns <paramref name="serial"/>; fixed for a fixed pool.</summary>
    internal static int RouteeOf(uint serial, int routees) => (int)(serial % (uint)routees);

    /// <summary>
    /// Merges the correlators' answers by serial (rollover-aware). Never reorders within one answer,
    /// so each correlator's order is kept.
    /// </summary>
    internal static IReadOnlyList<TEvent> Merge(List<IReadOnlyList<TEvent>> parts, Func<TEvent, uint> serialOf)
    {
        if (parts.Count == 1) return parts[0];
        int total = 0;
        foreach (var p in parts) total += p.Count;
        var result = new List<TEvent>(total);
        var next = new int[parts.Count];
        while (result.Count < total)
        {
            int best = -1;
            uint bestSerial = 0;
            for (int p = 0; p < parts.Count; p++)
            {
                if (next[p] >= parts[p].Count) continue;
                uint s = serialOf(parts[p][next[p]]);
                if (best < 0 || (int)(s - bestSerial) < 0) { best = p; bestSerial = s; }
            }
            result.Add(parts[best][next[best]++]);
        }
        return result;
    }
}

/// <summary>Counters of the correlation stage, written by the stage, readable from any thread.</summary>
internal sealed class CorrelationCounters
{
    private long _batches, _records, _events, _failures;
    private int _inFlight;
    private AssemblerCounters _assembled; // a struct: replaced whole under the lock
    private readonly object _gate = new();

    public long Batches => Interlocked.Read(ref _batches);
    public long Records => Interlocked.Read(ref _records);
    public long Events => Interlocked.Read(ref _events);
    public long Failures => Interlocked.Read(ref _failures);
    public int InFlight => Volatile.Read(ref _inFlight);

    public void AddBatch(int records)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _records, records);
    }

    public void AddEvents(int n) => Interlocked.Add(ref _events, n);

    public AssemblerCounters Assembled
    {
        get { lock (_gate) return _assembled; }
    }

    public void SetCorrelatorState(int inFlight, long failures, AssemblerCounters assembled)
    {
        Volatile.Write(ref _inFlight, inFlight);
        Interlocked.Exchange(ref _failures, failures);
        lock (_gate) _assembled = assembled;
    }
}
