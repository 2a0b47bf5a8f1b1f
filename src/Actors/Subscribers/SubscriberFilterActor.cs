using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Serves one subscriber: picks its events out of each fanned-out batch and offers them to its own bounded buffer.
/// Offering never blocks, so a stalled subscriber costs the others nothing.
/// Without a history, a full buffer drops and counts (gap notices). With one (<see cref="IEventHistory"/>), a
/// subscriber that starts in the past or whose buffer fills switches to catching up: it reads from the journal at
/// its own pace (the buffer's room is its backpressure), ignoring live batches meanwhile, and rejoins live delivery
/// at exactly the next offset once a read pass ends at the live head — no gap, no duplicate, and memory independent
/// of how far behind it is.
/// </summary>
internal sealed class SubscriberFilterActor : ReceiveActor, IWithTimers
{
    private sealed record PassDone(long Through, long From);
    private sealed record PassFailed(Exception Error);
    private sealed class Retry { public static readonly Retry Instance = new(); }

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan NoProgressDelay = TimeSpan.FromMilliseconds(100);

    private readonly SubscriptionFilter _filter;
    private readonly OutboundBuffer _buffer;
    private readonly IEventHistory? _history;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _next;         // the next offset this subscriber needs
    private long _liveThrough;  // the newest offset the hub has published, as far as this actor knows
    private bool _catchingUp, _passRunning;
    private CancellationTokenSource? _pass;

    public ITimerScheduler Timers { get; set; } = null!;

    public SubscriberFilterActor(SubscriptionFilter filter, OutboundBuffer buffer, IEventHistory? history, long start, long liveNext)
    {
        _filter = filter;
        _buffer = buffer;
        _history = history;
        _next = start;
        _buffer.NextOffset = start;
        _liveThrough = liveNext - 1;

        Receive<Deliver>(OnDeliver);
        Receive<PassDone>(OnPassDone);
        Receive<PassFailed>(f =>
        {
            _passRunning = false;
            _log.Warning("subscriber {0}: reading the journal failed, retrying in {1}: {2}", Self.Path.Name, RetryDelay, f.Error.Message);
            Timers.StartSingleTimer("retry", Retry.Instance, RetryDelay);
        });
        Receive<Retry>(_ =>
        {
            if (_catchingUp && !_passRunning) StartPass();
        });

        if (_history != null && _next <= _liveThrough) BeginCatchUp();
    }

    private void OnDeliver(Deliver d)
    {
        if (d.Through > _liveThrough) _liveThrough = d.Through;
        if (_catchingUp) return; // the journal holds these; the read pass will reach them
        foreach (var e in d.Events)
        {
            if (e.Offset < _next || !_filter.Matches(e.Facts)) continue;
            if (_history == null)
            {
                _buffer.Offer(e);
                continue;
            }
            if (!_buffer.TryOffer(e))
            {
                _next = e.Offset;
                _buffer.NextOffset = _next;
                BeginCatchUp();
                return;
            }
        }
        if (d.Through + 1 > _next) _next = d.Through + 1;
        _buffer.NextOffset = _next;
    }

    private void BeginCatchUp()
    {
        _catchingUp = true;
        _buffer.CatchingUp = true;
        StartPass();
    }

    private void StartPass()
    {
        _passRunning = true;
        _pass?.Dispose();
        _pass = new CancellationTokenSource();
        var ct = _pass.Token;
        var buffer = _buffer;
        long from = _next;
        _history!.Read(from, _filter)
            .SelectAsync(1, async chunk =>
            {
                if (chunk.PrunedFrom is { } pf) buffer.OfferNotice(JsonLines.Pruned(pf, chunk.PrunedTo ?? pf, chunk.GapReason));
                foreach (var e in chunk.Matched)
                    if (!await buffer.OfferAsync(e, ct).ConfigureAwait(false))
                        throw new OperationCanceledException("subscriber gone");
                buffer.NextOffset = Math.Max(buffer.NextOffset, chunk.Through + 1);
                return chunk.Through;
            })
            .RunWith(Sink.Aggregate<long, long>(from - 1, (a, t) => Math.Max(a, t)), Context.Materializer())
            .PipeTo(Self, success: through => new PassDone(through, from), failure: e => new PassFailed(e));
    }

    private void OnPassDone(PassDone p)
    {
        _passRunning = false;
        if (p.Through + 1 > _next) _next = p.Through + 1;
        _buffer.NextOffset = _next;
        if (_liveThrough < _next)
        {
            // Caught up: every later offset will arrive in a Deliver, in order, after this message.
            _catchingUp = false;
            _buffer.CatchingUp = false;
            return;
        }
        if (p.Through < p.From)
            Timers.StartSingleTimer("retry", Retry.Instance, NoProgressDelay); // not readable yet
        else StartPass();
    }

    protected override void PostStop()
    {
        _pass?.Cancel();
        _pass?.Dispose();
    }

    public static Props Props(SubscriptionFilter filter, OutboundBuffer buffer, IEventHistory? history = null, long start = 1, long liveNext = 1) =>
        Akka.Actor.Props.Create(() => new SubscriberFilterActor(filter, buffer, history, start, liveNext));
}
