using Akka.Actor;
using Akka.Event;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Correlation;

/// <summary>
/// Assembles the events of the serials routed to it with one <see cref="IEventAssembler{TEvent}"/>.
/// Completed events wait in a pending list until the next <see cref="CollectEvents"/>; a timer
/// completes timed-out events. An assembler exception is counted and logged, never a restart (a
/// restart would lose every event in flight).
/// </summary>
public sealed class CorrelatorActor<TEvent> : ReceiveActor, IWithTimers
{
    private sealed class ExpireTick
    {
        public static readonly ExpireTick Instance = new();
    }

    private readonly IEventAssembler<TEvent> _assembler;
    private readonly Func<long> _nowMs;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private List<TEvent> _pending = new();
    private readonly TimeSpan _expireInterval;
    private long _failures;

    public CorrelatorActor(Func<IEventAssembler<TEvent>> assemblerFactory, TimeSpan expireInterval, Func<long> nowMs)
    {
        _assembler = assemblerFactory();
        _nowMs = nowMs;
        _expireInterval = expireInterval;

        Receive<CorrelateRecords>(m => AddAll(m.Records));
        Receive<CorrelateBatch>(m =>
        {
            AddAll(m.Records);
            Answer(m.Sequence, m.Flush);
        });
        Receive<ExpireTick>(_ => Guard(() => _assembler.Expire(_nowMs(), _pending), null));
        Receive<CollectEvents>(m => Answer(m.Sequence, m.Flush));
    }

    private void AddAll(IReadOnlyList<AuditRecord> records)
    {
        long now = _nowMs();
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            // Inline rather than Guard: no closure allocated per record on the hot path.
            try { _assembler.Add(r, now, _pending); }
            catch (Exception e) { Failed(e, r); }
        }
    }

    private void Answer(long sequence, bool flush)
    {
        if (flush) Guard(() => _assembler.Flush(_pending), null);
        var events = _pending;
        _pending = new List<TEvent>(Math.Max(16, events.Count));
        Sender.Tell(new CorrelatorAnswer<TEvent>(sequence, events, _assembler.InFlight, _failures, _assembler.Counters));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    // Timers are injected after construction.
    protected override void PreStart() => Timers.StartPeriodicTimer("expire", ExpireTick.Instance, _expireInterval);

    public static Props Props(Func<IEventAssembler<TEvent>> assemblerFactory, TimeSpan expireInterval, Func<long> nowMs) =>
        Akka.Actor.Props.Create(() => new CorrelatorActor<TEvent>(assemblerFactory, expireInterval, nowMs));

    private void Guard(Action action, AuditRecord? record)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            Failed(e, record);
        }
    }

    private void Failed(Exception e, AuditRecord? record)
    {
        // A bug or hostile input must not take the actor (and its in-flight events) down.
        if (_failures++ < 10)
            _log.Error(e, "correlator failed on {0}", record?.Text ?? "expire/flush");
    }
}
