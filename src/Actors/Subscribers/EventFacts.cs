namespace FsAudit.Actors.Subscribers;

/// <summary>
/// What subscription filters look at in one event, extracted once at the publishing point and shared by
/// every filter actor. Absent values (an event without a SYSCALL record has no success/uid) are null, and
/// a filter on that field does not match them.
/// </summary>
/// <param name="Name">Event name, e.g. <c>FILE_Unlink</c>.</param>
/// <param name="Classes">The classes the event name belongs to (written to the event line).</param>
/// <param name="Keys">Rule keys (<c>key=</c>; the kernel joins several with \x01).</param>
/// <param name="Paths">Every absolute path the event names (PATH records, cwd, ...).</param>
public sealed record EventFacts(
    string Name,
    IReadOnlyList<string> Classes,
    IReadOnlyList<string> Keys,
    bool? Success,
    uint? Uid,
    uint? Auid,
    IReadOnlyList<string> Paths);

/// <summary>
/// One event as fanned out to subscribers: its global offset, its filter facts, and its JSON line
/// (terminated by '\n') serialized once and shared by every subscriber that receives it.
/// </summary>
public sealed class PublishedEvent
{
    public PublishedEvent(long offset, EventFacts facts, byte[] line)
    {
        Offset = offset;
        Facts = facts;
        Line = line;
    }

    public long Offset { get; }
    public EventFacts Facts { get; }
    public byte[] Line { get; }

    public override string ToString() => $"#{Offset} {Facts.Name}";
}
