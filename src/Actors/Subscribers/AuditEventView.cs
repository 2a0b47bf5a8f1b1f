using System.Buffers;
using System.Text.Json;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// How the hub sees an <see cref="AuditEvent"/>: its name from the classifier, its classes from the catalog,
/// and its PATH names as the paths filters match (cwd and exe are context, not what the event touched).
/// <paramref name="extra"/> appends properties to each event's JSON (the daemon's enrichment of live events); it writes
/// them with a Utf8JsonWriter (<see cref="EventJson.WriterOptions"/>) whose bytes are copied into the line.
/// </summary>
public sealed class AuditEventView(ClassCatalog catalog, Func<AuditEvent, string>? classify = null,
    Action<Utf8JsonWriter, AuditEvent>? extra = null) : ISubscriptionEventView<AuditEvent>
{
    private readonly Func<AuditEvent, string> _classify = classify ?? EventClassifier.Classify;

    public EventFacts Describe(AuditEvent e)
    {
        string name = _classify(e);
        return new EventFacts(name, catalog.ClassesOf(name), e.Keys, e.Success, e.Uid, e.Auid, PathsOf(e));
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? _extraBuffer;
    [ThreadStatic] private static Utf8JsonWriter? _extraWriter;

    public void WriteProperties(JsonLineWriter writer, AuditEvent e)
    {
        EventJson.WriteProperties(writer, e);
        if (extra != null) WriteExtra(writer, e, extra);
    }

    private static void WriteExtra(JsonLineWriter writer, AuditEvent e, Action<Utf8JsonWriter, AuditEvent> extra)
    {
        // Without validation, a Utf8JsonWriter at its root writes properties as comma-separated members.
        var buffer = _extraBuffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var w = _extraWriter ??= new Utf8JsonWriter(buffer, EventJson.WriterOptions);
        w.Reset(buffer);
        extra(w, e);
        w.Flush();
        writer.RawMembers(buffer.WrittenSpan);
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
