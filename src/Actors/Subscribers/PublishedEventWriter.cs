using FsAudit.Engine.Events;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Serializes an event into its protocol line once: <c>{"offset":N,"event":...,"classes":[...], properties}\n</c>.
/// Shared by the live hub and history reads so both produce byte-identical lines. Not thread-safe.
/// </summary>
public sealed class PublishedEventWriter<TEvent>(ISubscriptionEventView<TEvent> view)
{
    private static readonly JsonName OffsetName = new("offset"), EventName = new("event"), ClassesName = new("classes");
    private readonly JsonLineWriter _json = new(4096);

    public ISubscriptionEventView<TEvent> View => view;

    /// <summary>Throws when the view cannot describe or serialize the event.</summary>
    public PublishedEvent Write(long offset, TEvent e) => Write(offset, e, view.Describe(e));

    public PublishedEvent Write(long offset, TEvent e, EventFacts facts)
    {
        var w = _json;
        w.Reset();
        w.StartObject();
        w.Number(OffsetName, offset);
        // Event and class names come from the classifier's and the catalog's tables: encoded once.
        EncodedStrings.Write(w, EventName, facts.Name);
        w.StartArray(ClassesName);
        var classes = facts.Classes;
        for (int i = 0; i < classes.Count; i++) EncodedStrings.WriteValue(w, classes[i]); // no boxed enumerator per event
        w.EndArray();
        view.WriteProperties(w, e);
        w.EndObject();
        w.NewLine();
        return new PublishedEvent(offset, facts, w.WrittenSpan.ToArray());
    }
}
