using System.Buffers;
using System.Text.Json;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Serializes an event into its protocol line once: <c>{"offset":N,"event":...,"classes":[...], properties}\n</c>.
/// Shared by the live hub and history reads so both produce byte-identical lines. Not thread-safe.
/// </summary>
public sealed class PublishedEventWriter<TEvent>(ISubscriptionEventView<TEvent> view) : IDisposable
{
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private Utf8JsonWriter? _writer;

    public ISubscriptionEventView<TEvent> View => view;

    /// <summary>Throws when the view cannot describe or serialize the event.</summary>
    public PublishedEvent Write(long offset, TEvent e) => Write(offset, e, view.Describe(e));

    public PublishedEvent Write(long offset, TEvent e, EventFacts facts)
    {
        _json.ResetWrittenCount();
        _writer ??= new Utf8JsonWriter(_json, JsonLines.WriterOptions);
        _writer.Reset(_json);
        _writer.WriteStartObject();
        _writer.WriteNumber("offset", offset);
        _writer.WriteString("event", facts.Name);
        _writer.WriteStartArray("classes");
        foreach (var c in facts.Classes) _writer.WriteStringValue(c);
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
