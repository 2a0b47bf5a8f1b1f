using System.Buffers;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;

namespace FsAudit.Actors.Subscribers;

/// <summary>Props for the publishing point.</summary>
public static class SubscriberHub
{
    /// <param name="firstOffset">Offset of the first event published by this hub (offsets are gap-free from here).</param>
    public static Props Props<TEvent>(ISubscriptionEventView<TEvent> view, int maxSubscribers, long firstOffset = 1) =>
        Akka.Actor.Props.Create(() => new SubscriberHub<TEvent>(view, maxSubscribers, firstOffset));
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
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private readonly Utf8JsonWriter _writer;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _nextOffset;
    private long _unpublishable;
    private long _nextId = 1;

    public SubscriberHub(ISubscriptionEventView<TEvent> view, int maxSubscribers, long firstOffset)
    {
        _view = view;
        _maxSubscribers = maxSubscribers;
        _firstOffset = firstOffset;
        _nextOffset = firstOffset;
        _writer = new Utf8JsonWriter(_json, JsonLines.WriterOptions);

        Receive<PublishBatch<TEvent>>(b =>
        {
            Publish(b.Events);
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

    private void Publish(IReadOnlyList<TEvent> events)
    {
        if (_subscribers.Count == 0)
        {
            _nextOffset += events.Count; // numbering is global, whether or not anyone listens
            return;
        }
        var published = new List<PublishedEvent>(events.Count);
        foreach (var e in events)
        {
            if (Serialize(e) is { } p) published.Add(p);
        }
        if (published.Count == 0) return;
        var deliver = new Deliver(published.ToArray());
        foreach (var s in _subscribers.Values) s.Filter.Tell(deliver);
    }

    private PublishedEvent? Serialize(TEvent e)
    {
        try
        {
            var facts = _view.Describe(e);
            _json.ResetWrittenCount();
            _writer.Reset(_json);
            _writer.WriteStartObject();
            _writer.WriteNumber("offset", _nextOffset);
            _writer.WriteString("event", facts.Name);
            _writer.WriteStartArray("classes");
            foreach (var c in facts.Classes) _writer.WriteStringValue(c);
            _writer.WriteEndArray();
            _view.WriteProperties(_writer, e);
            _writer.WriteEndObject();
            _writer.Flush();

            var line = new byte[_json.WrittenCount + 1];
            _json.WrittenSpan.CopyTo(line);
            line[^1] = (byte)'\n';
            return new PublishedEvent(_nextOffset++, facts, line);
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
        string id = $"sub-{_nextId++}";
        var filter = Context.ActorOf(SubscriberFilterActor.Props(s.Request.Filter, s.Buffer), id);
        Context.Watch(filter);
        _subscribers[id] = new Entry(id, filter, s, DateTimeOffset.UtcNow);
        Sender.Tell(new Subscribed(id, _nextOffset));
    }

    private void Remove(string id)
    {
        if (!_subscribers.Remove(id, out var e)) return;
        Context.Unwatch(e.Filter);
        Context.Stop(e.Filter);
        e.Request.Buffer.Complete();
    }

    private HubStatus Status() => new(
        _nextOffset,
        _nextOffset - _firstOffset,
        _unpublishable,
        _maxSubscribers,
        _subscribers.Values
            .OrderBy(e => e.Since)
            .Select(e => new SubscriberSnapshot(e.Id, e.Request.Request.Name, e.Request.Peer, e.Request.Request.Filter, e.Since, e.Request.Buffer.Stats))
            .ToList());

    private void Ack()
    {
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters)) Sender.Tell(HubAck.Instance);
    }

    protected override void PostStop()
    {
        foreach (var e in _subscribers.Values) e.Request.Buffer.Complete();
        _subscribers.Clear();
        _writer.Dispose();
    }
}
