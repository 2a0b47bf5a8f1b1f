using System.Buffers;
using System.Text.Json;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Serializes an event into its protocol line once: <c>{"offset":N,"event":...,"classes":[...], properties}\n</c>.
/// Shared by the live hub and history reads so both produce byte-identical lines. Not thread-safe.
/// </summary>
public sealed class PublishedEventWriter<TEvent>(ISubscriptionEventView<TEvent> view) : IDisposable
{
    private static readonly JsonEncodedText OffsetName = JsonEncodedText.Encode("offset"),
        EventName = JsonEncodedText.Encode("event"), ClassesName = JsonEncodedText.Encode("classes");
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private Utf8JsonWriter? _writer;

    public ISubscriptionEventView<TEvent> View => view;

    /// <summary>Throws when the view cannot describe or serialize the event.</summary>
    public PublishedEvent Write(long offset, TEvent e) => Write(offset, e, view.Describe(e));

    public PublishedEvent Write(long offset, TEvent e, EventFacts facts)
    {
        _json.ResetWrittenCount();
        _writer ??= new Utf8JsonWriter(_json, EventJson.WriterOptions);
        _writer.Reset(_json);
        _writer.WriteStartObject();
        _writer.WriteNumber(OffsetName, offset);
        // Event and class names come from the classifier's and the catalog's tables: encoded once.
        EncodedStrings.Write(_writer, EventName, facts.Name);
        _writer.WriteStartArray(ClassesName);
        var classes = facts.Classes;
        for (int i = 0; i < classes.Count; i++) EncodedStrings.WriteValue(_writer, classes[i]); // no boxed enumerator per event
        _writer.WriteEndArray();
        view.WriteProperties(_writer, e);
        _writer.WriteEndObject();
        _writer.Flush();

        var line = new byte[_json.WrittenCount + 1];
        _json.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return new PublishedEvent(offset, facts, line);
    }

    public void Dispose() => _writer?.Dispose();
}
