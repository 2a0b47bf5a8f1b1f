using System.Text.Json;

namespace FsAudit.Actors.Subscribers;

/// <summary>One subscriber as <c>status</c> shows it.</summary>
public sealed record SubscriberSnapshot(
    string Id,
    string? Name,
    SubscriberPeer Peer,
    SubscriptionFilter Filter,
    DateTimeOffset Since,
    OutboundStats Stats,
    long LastOffset = 0,
    bool CatchingUp = false)
{
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        if (Name != null) w.WriteString("name", Name);
        w.WriteNumber("pid", Peer.Pid);
        w.WriteNumber("uid", Peer.Uid);
        w.WriteString("since", Since);
        w.WritePropertyName("filter");
        Filter.WriteJson(w);
        w.WriteNumber("matched", Stats.Matched);
        w.WriteNumber("delivered", Stats.Delivered);
        w.WriteNumber("missed", Stats.Missed);
        w.WriteNumber("gaps", Stats.Gaps);
        w.WriteNumber("buffered-bytes", Stats.QueuedBytes);
        w.WriteNumber("buffer-bytes", Stats.CapacityBytes);
        w.WriteNumber("buffer-fill", Math.Round(Stats.Fill, 3));
        w.WriteNumber("last-offset", LastOffset);
        w.WriteBoolean("catching-up", CatchingUp);
        w.WriteEndObject();
    }
}

public static class HubStatusJson
{
    /// <summary>Writes <c>"subscribers": {...}</c> into the current object of a status reply.</summary>
    public static void WriteProperty(Utf8JsonWriter w, HubStatus status, string propertyName = "subscribers")
    {
        w.WriteStartObject(propertyName);
        w.WriteNumber("next-offset", status.NextOffset);
        w.WriteNumber("published", status.Published);
        w.WriteNumber("unpublishable", status.Unpublishable);
        w.WriteNumber("connected", status.Subscribers.Count);
        w.WriteNumber("max", status.MaxSubscribers);
        if (status.Recent is { } r)
        {
            w.WriteStartObject("recent-window");
            w.WriteNumber("capacity-bytes", r.CapacityBytes);
            w.WriteNumber("bytes", r.Bytes);
            if (r.FromOffset is { } from) w.WriteNumber("from-offset", from);
            else w.WriteNull("from-offset");
            if (r.ThroughOffset is { } through) w.WriteNumber("through-offset", through);
            else w.WriteNull("through-offset");
            w.WriteNumber("catch-up-passes-from-window", r.WindowPasses);
            w.WriteNumber("catch-up-passes-from-journal", r.JournalPasses);
            w.WriteEndObject();
        }
        w.WriteStartArray("list");
        foreach (var s in status.Subscribers) s.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
