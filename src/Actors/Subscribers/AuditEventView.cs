using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// How the hub sees an <see cref="AuditEvent"/>: its name from the classifier, its classes from the catalog,
/// and its PATH names as the paths filters match (cwd and exe are context, not what the event touched).
/// <paramref name="extra"/> appends properties to each event's JSON (the daemon's enrichment of live events).
/// </summary>
public sealed class AuditEventView(ClassCatalog catalog, Func<AuditEvent, string>? classify = null,
    Action<JsonLineWriter, AuditEvent>? extra = null) : ISubscriptionEventView<AuditEvent>
{
    private readonly Func<AuditEvent, string> _classify = classify ?? EventClassifier.Classify;

    public EventFacts Describe(AuditEvent e)
    {
        string name = _classify(e);
        return new EventFacts(name, catalog.ClassesOf(name), e.Keys, e.Success, e.Uid, e.Auid, PathsOf(e));
    }

    public void WriteProperties(JsonLineWriter writer, AuditEvent e)
    {
        EventJson.WriteProperties(writer, e);
        extra?.Invoke(writer, e);
    }

    private static IReadOnlyList<string> PathsOf(AuditEvent e)
    {
        var items = e.Paths;
        if (items.Count == 0) return [];
        var names = new List<string>(items.Count);
        for (int i = 0; i < items.Count; i++)
            if (items[i].Name is { Length: > 0 } n && n[0] == '/') names.Add(n);
        return names;
    }
}

/// <summary>The catalog's classes, and every event name the classifier can produce, for subscription checks.</summary>
public sealed class ClassCatalogEvents(ClassCatalog catalog) : IEventCatalog
{
    public bool TryExpandClass(string className, out IReadOnlyCollection<string> eventNames)
    {
        if (!catalog.IsClass(className))
        {
            eventNames = [];
            return false;
        }
        eventNames = catalog.Expand(className);
        return true;
    }

    public bool IsKnownEvent(string eventName) => EventNames.IsProducible(eventName);
}
