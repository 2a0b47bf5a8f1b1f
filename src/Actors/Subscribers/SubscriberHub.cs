using System.Buffers;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;

namespace FsAudit.Actors.Subscribers;

/// <summary>Props for the publishing point.</summary>
public static class SubscriberHub
{
    /// <param name="firstOffset">Offset of the first event published by this hub (offsets are gap-free from here).</param>
    /// <param name="history">
    /// The journal: lets subscribers start in the past and lets one that falls behind catch up from storage instead of
    /// losing events (null: no journal, a subscriber whose buffer overflows gets gap notices).
    /// </param>
    /// (A <see cref="WindowedHistory"/> also makes the hub keep its recent window while a subscriber lags.)
    /// <param name="totalBufferBytes">
    /// The outbound buffers of all subscribers together stay within this: each gets an equal share, at most its own
    /// configured size (0 = no total, each keeps its own size).
    /// </param>
    public static Props Props<TEvent>(ISubscriptionEventView<TEvent> view, int maxSubscribers, long firstOffset = 1, IEventHistory? history = null,
        long totalBufferBytes = 0) =>
        Akka.Actor.Props.Create(() => new SubscriberHub<TEvent>(view, maxSubscribers, firstOffset, history, totalBufferBytes));
}

/// <summary>
/// The publishing point: numbers every completed event with a global gap-free offset, classifies it, serializes
/// its JSON line once, and hands the same batch to every subscriber's filter actor. It never waits for a
/// subscriber; each filter actor's bounded buffer absorbs (or counts) that subscriber's lag.
/// </summary>
public sealed class SubscriberHub<TEvent> : ReceiveActor
{
    private sealed record Entry(string Id, IActorRef Filter, Subscribe Request, DateTimeOffset Since);

    private readonly ISubscriptionEventView<TEvent> _view;
    private readonly int _maxSubscribers;
    private readonly long _firstOffset;
    private readonly Dictionary<string, Entry> _subscribers = new();
    private readonly PublishedEventWriter<TEvent> _writer;
    private readonly IEventHistory? _history;
    private readonly RecentEvents? _recent;
    private readonly long _totalBufferBytes;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _nextOffset;
    private long _unpublishable;
    private long _nextId = 1;

    public SubscriberHub(ISubscriptionEventView<TEvent> view, int maxSubscribers, long firstOffset, IEventHistory? history, long totalBufferBytes = 0)
    {
        _recent = (history as WindowedHistory)?.Window; // the window the catching-up subscribers read
        _totalBufferBytes = totalBufferBytes;
        _view = view;
        _maxSubscribers = maxSubscribers;
        _firstOffset = firstOffset;
        _nextOffset = firstOffset;
        _history = history;
        _writer = new PublishedEventWriter<TEvent>(view);

        Receive<PublishBatch<TEvent>>(b =>
        {
            if (b.FirstOffset is { } first)
            {
                if (first != _nextOffset)
                    _log.Warning("journaled batch starts at offset {0}, the hub expected {1}", first, _nextOffset);
                _nextOffset = first;
            }
            Publish(b.Events, journaled: b.FirstOffset.HasValue);
            Ack();
        });
        Receive<HubStreamInit>(_ => Ack());
        Receive<HubStreamCompleted>(_ => { });
        Receive<Subscribe>(OnSubscribe);
        Receive<Unsubscribe>(u => Remove(u.Id));
        Receive<AbandonSubscribe>(a =>
        {
            var abandoned = _subscribers.Values.FirstOrDefault(e => ReferenceEquals(e.Request.Buffer, a.Buffer));
            if (abandoned != null) Remove(abandoned.Id);
        });
        Receive<GetHubStatus>(_ => Sender.Tell(Status()));
        Receive<Terminated>(t =>
        {
            var gone = _subscribers.Values.FirstOrDefault(e => e.Filter.Equals(t.ActorRef));
            if (gone != null) Remove(gone.Id);
        });
    }

    private void Publish(IReadOnlyList<TEvent> events, bool journaled)
    {
        if (_subscribers.Count == 0)
        {
            _nextOffset += events.Count; // numbering is global, whether or not anyone listens
            _recent?.Reset(_nextOffset - 1); // nothing serialized: the window would have a hole
            return;
        }
        long from = _nextOffset;
        var published = new List<PublishedEvent>(events.Count);
        foreach (var e in events)
        {
            if (Serialize(e) is { } p) published.Add(p);
            // A journaled event keeps its offset even when it cannot be shown (it is stored under it).
            else if (journaled) _nextOffset++;
        }
        // An empty delivery still tells catching-up subscribers how far the live stream is.
        var deliver = new Deliver(published.ToArray(), _nextOffset - 1);
        if (_recent != null)
        {
            // Keeping costs the GC (every kept event is promoted), so only while someone may need it.
            if (AnyLaggingInReach(deliver.Events)) _recent.Append(from, deliver.Through, deliver.Events);
            else _recent.KeepLatest(from, deliver.Through, deliver.Events, EveryFilterFrom());
        }
        foreach (var s in _subscribers.Values) s.Filter.Tell(deliver);
    }

    /// <summary>
    /// A subscriber lags, or will once <paramref name="batch"/> reaches it (all of it counted: its filter may take it
    /// all), and the window still reaches back to what it needs next (see <see cref="RecentEvents.Reaches"/>).
    /// </summary>
    private bool AnyLaggingInReach(PublishedEvent[] batch)
    {
        long bytes = 0;
        foreach (var e in batch) bytes += e.Line.Length;
        foreach (var s in _subscribers.Values)
        {
            var buffer = s.Request.Buffer;
            if (buffer.LagsWith(bytes) && _recent!.Reaches(buffer.NextOffset)) return true;
        }
        return false;
    }

    /// <summary>The lowest offset any subscriber's filter actor has yet to take: batches before it were seen by all.</summary>
    private long EveryFilterFrom()
    {
        long min = long.MaxValue;
        foreach (var s in _subscribers.Values) min = Math.Min(min, s.Request.Buffer.NextOffset);
        return min;
    }

    private PublishedEvent? Serialize(TEvent e)
    {
        try
        {
            var p = _writer.Write(_nextOffset, e);
            _nextOffset++;
            return p;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bad event must not stop the stream for everyone: it gets no offset and is counted.
            if (ShouldLogUnpublishable()) _log.Warning(ex, "event not published to subscribers: {0}", ex.Message);
            _unpublishable++;
            return null;
        }
    }

    // The first few, then at powers of two: a systematic failure must not flood the log.
    private bool ShouldLogUnpublishable() => _unpublishable < 10 || (_unpublishable & (_unpublishable - 1)) == 0;

    private void OnSubscribe(Subscribe s)
    {
        if (_subscribers.Count >= _maxSubscribers)
        {
            Sender.Tell(new SubscribeRefused($"too many subscribers (maximum {_maxSubscribers})"));
            return;
        }
        if (s.Request.Name is { } name && _subscribers.Values.Any(e => e.Request.Request.Name == name))
        {
            Sender.Tell(new SubscribeRefused($"a subscriber named \"{name}\" is already connected"));
            return;
        }
        long start = s.StartOffset ?? _nextOffset;
        if (start < _nextOffset && _history == null)
        {
            Sender.Tell(new SubscribeRefused("this daemon keeps no event journal: a subscription can only start from \"now\""));
            return;
        }
        string id = $"sub-{_nextId++}";
        var filter = Context.ActorOf(SubscriberFilterActor.Props(s.Request.Filter, s.Buffer, _history, start, _nextOffset), id);
        Context.Watch(filter);
        _subscribers[id] = new Entry(id, filter, s, DateTimeOffset.UtcNow);
        ShareBuffers();
        Sender.Tell(new Subscribed(id, start));
    }

    /// <summary>Splits the total buffer budget equally among the connected subscribers (see Props).</summary>
    private void ShareBuffers()
    {
        if (_totalBufferBytes <= 0 || _subscribers.Count == 0) return;
        long share = _totalBufferBytes / _subscribers.Count;
        foreach (var e in _subscribers.Values) e.Request.Buffer.Resize(share);
    }

    private void Remove(string id)
    {
        if (!_subscribers.Remove(id, out var e)) return;
        Context.Unwatch(e.Filter);
        Context.Stop(e.Filter);
        e.Request.Buffer.Complete();
        ShareBuffers();
    }

    private HubStatus Status() => new(
        _nextOffset,
        _nextOffset - _firstOffset,
        _unpublishable,
        _maxSubscribers,
        _subscribers.Values
            .OrderBy(e => e.Since)
            .Select(e => new SubscriberSnapshot(e.Id, e.Request.Request.Name, e.Request.Peer, e.Request.Request.Filter, e.Since, e.Request.Buffer.Stats,
                e.Request.Buffer.LastOffset, e.Request.Buffer.CatchingUp))
            .ToList(),
        _recent?.Stats());

    private void Ack()
    {
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters)) Sender.Tell(HubAck.Instance);
    }

    protected override void PostStop()
    {
        foreach (var e in _subscribers.Values) e.Request.Buffer.Complete();
        _subscribers.Clear();
    }
}
