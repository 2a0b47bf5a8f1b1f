using System.Text.Json;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// How the publishing point sees an event type: its filter facts (name and classes included, i.e. the
/// classification) and its JSON properties. Keeps the hub independent of the event model.
/// </summary>
public interface ISubscriptionEventView<in TEvent>
{
    EventFacts Describe(TEvent e);

    /// <summary>Writes the event's JSON properties into the current object (no braces).</summary>
    void WriteProperties(Utf8JsonWriter writer, TEvent e);
}

/// <summary>The event names and classes a subscription may name; used to reject typos at subscribe time.</summary>
public interface IEventCatalog
{
    /// <summary>The event names of a class (nested classes expanded); false when the class is unknown.</summary>
    bool TryExpandClass(string className, out IReadOnlyCollection<string> eventNames);

    bool IsKnownEvent(string eventName);
}
