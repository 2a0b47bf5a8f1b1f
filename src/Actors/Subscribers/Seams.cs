using FsAudit.Engine.Events;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// How the publishing point sees an event type: its filter facts (name and classes included, i.e. the
/// classification) and its JSON properties. Keeps the hub independent of the event model.
/// </summary>
public interface ISubscriptionEventView<in TEvent>
{
    EventFacts Describe(TEvent e);

    /// <summary>Writes the event's JSON properties into the current object (no braces).</summary>
    void WriteProperties(JsonLineWriter writer, TEvent e);
}

/// <summary>The event names and classes a subscription may name; used to reject typos at subscribe time.</summary>
public interface IEventCatalog
{
    /// <summary>The event names of a class (nested classes expanded); false when the class is unknown.</summary>
    bool TryExpandClass(string className, out IReadOnlyCollection<string> eventNames);

    bool IsKnownEvent(string eventName);
}

/// <summary>
/// The stored past of the event stream (the journal), for subscribers that start before the live stream or fall
/// behind it: they read here at their own pace, then rejoin live delivery.
/// </summary>
public interface IEventHistory
{
    /// <summary>
    /// The events from <paramref name="fromOffset"/> on that match <paramref name="filter"/>, as stored when each page
    /// is read, serialized exactly like live events, in chunks (one per stored batch). Ends at the stored head.
    /// </summary>
    Akka.Streams.Dsl.Source<HistoryChunk, Akka.NotUsed> Read(long fromOffset, SubscriptionFilter filter);

    /// <summary>The offset of the oldest stored event; the next offset to be stored when empty.</summary>
    Task<long> OldestOffsetAsync(CancellationToken ct);

    /// <summary>The offset of the first stored event at or after <paramref name="time"/> (event time); null when none yet.</summary>
    Task<long?> OffsetAtTimeAsync(DateTimeOffset time, CancellationToken ct);
}

/// <summary>One step of a history read.</summary>
/// <param name="Matched">Events that matched the filter, in offset order.</param>
/// <param name="Through">Every offset up to this one has been looked at.</param>
/// <param name="PrunedFrom">When set, offsets <c>PrunedFrom</c>..<c>PrunedTo</c> (before <c>Matched</c>) are no longer stored.</param>
/// <param name="GapReason">Why they are gone, for the subscriber's gap notice: "pruned" (from the journal) or "window" (older than the recent window, with no journal).</param>
public sealed record HistoryChunk(IReadOnlyList<PublishedEvent> Matched, long Through, long? PrunedFrom = null, long? PrunedTo = null,
    string GapReason = "pruned");

/// <summary>Named subscribers' stored filters and acknowledged offsets.</summary>
public interface IDurableSubscriptions
{
    /// <summary>The subscriber's last acknowledged offset; null for a name never registered.</summary>
    Task<long?> LastAckAsync(string name, CancellationToken ct);

    /// <summary>Records (or updates) the subscriber's filter once its subscription is accepted.</summary>
    /// <param name="setAcked">
    /// When set, the stored ack becomes this (a new subscriber starts acked just before its first offset; an explicit
    /// <c>from</c> moves it); null keeps the stored ack (resuming).
    /// </param>
    Task RegisterAsync(string name, SubscriptionFilter filter, long? setAcked, CancellationToken ct);

    /// <summary>Cumulative acknowledgement: the subscriber has handled every event up to <paramref name="offset"/>.</summary>
    void Ack(string name, long offset);
}
