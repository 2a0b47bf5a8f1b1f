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

        Receive<CorrelateRecords>(m =>
        {
            long now = _nowMs();
            foreach (var r in m.Records)
                Guard(() => _assembler.Add(r, now, _pending), r);
        });
        Receive<ExpireTick>(_ => Guard(() => _assembler.Expire(_nowMs(), _pending), null));
        Receive<CollectEvents>(m =>
        {
            if (m.Flush) Guard(() => _assembler.Flush(_pending), null);
            var events = _pending;
            _pending = new List<TEvent>();
            Sender.Tell(new CorrelatorAnswer<TEvent>(m.Sequence, events, _assembler.InFlight, _failures, _assembler.Counters));
        });
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
            // A bug or hostile input must not take the actor (and its in-flight events) down.
            if (_failures++ < 10)
                _log.Error(e, "correlator failed on {0}", record?.Text ?? "expire/flush");
        }
    }
}
