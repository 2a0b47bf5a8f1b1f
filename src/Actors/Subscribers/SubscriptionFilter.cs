using System.Text.Json;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Which events a subscriber wants. Fields combine with AND; the values of one field with OR. Classes and
/// events both select event names, so they combine with each other as one union. An empty field selects
/// everything; a field set on an event that lacks the value (no uid, no path) does not match it.
/// </summary>
public sealed class SubscriptionFilter
{
    public static readonly SubscriptionFilter All = new([], [], null, [], [], null, [], []);

    private readonly HashSet<string>? _eventNames;
    private readonly HashSet<string>? _keys;
    private readonly HashSet<uint>? _uids;
    private readonly HashSet<uint>? _auids;

    /// <param name="eventNames">Classes expanded plus events; null when neither was given.</param>
    public SubscriptionFilter(
        IReadOnlyList<string> classes,
        IReadOnlyList<string> events,
        IReadOnlySet<string>? eventNames,
        IReadOnlyList<string> paths,
        IReadOnlyList<string> keys,
        bool? success,
        IReadOnlyList<uint> uids,
        IReadOnlyList<uint> auids)
    {
        Classes = classes;
        Events = events;
        Paths = paths;
        Keys = keys;
        Success = success;
        Uids = uids;
        Auids = auids;
        _eventNames = eventNames is null ? null : new HashSet<string>(eventNames, StringComparer.Ordinal);
        _keys = keys.Count > 0 ? new HashSet<string>(keys, StringComparer.Ordinal) : null;
        _uids = uids.Count > 0 ? [.. uids] : null;
        _auids = auids.Count > 0 ? [.. auids] : null;
    }

    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<string> Events { get; }
    public IReadOnlyList<string> Paths { get; }
    public IReadOnlyList<string> Keys { get; }
    /// <summary>null = any outcome.</summary>
    public bool? Success { get; }
    public IReadOnlyList<uint> Uids { get; }
    public IReadOnlyList<uint> Auids { get; }

    public bool Matches(EventFacts e)
    {
        if (_eventNames != null && !_eventNames.Contains(e.Name)) return false;
        if (Success is { } wanted && e.Success != wanted) return false;
        if (_uids != null && !(e.Uid is { } uid && _uids.Contains(uid))) return false;
        if (_auids != null && !(e.Auid is { } auid && _auids.Contains(auid))) return false;
        if (_keys != null && !AnyKey(e.Keys)) return false;
        return Paths.Count == 0 || AnyPath(e.Paths);
    }

    private bool AnyKey(IReadOnlyList<string> keys)
    {
        for (int i = 0; i < keys.Count; i++)
            if (_keys!.Contains(keys[i])) return true;
        return false;
    }

    private bool AnyPath(IReadOnlyList<string> eventPaths)
    {
        for (int i = 0; i < eventPaths.Count; i++)
            for (int j = 0; j < Paths.Count; j++)
                if (PathPrefix.Covers(Paths[j], eventPaths[i])) return true;
        return false;
    }

    /// <summary>The filter as a JSON object of the fields that are set (for replies and status).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        JsonLines.ArrayIfAny(w, "classes", Classes);
        JsonLines.ArrayIfAny(w, "events", Events);
        JsonLines.ArrayIfAny(w, "paths", Paths);
        JsonLines.ArrayIfAny(w, "keys", Keys);
        if (Success is { } s) w.WriteBoolean("success", s);
        JsonLines.ArrayIfAny(w, "uids", Uids);
        JsonLines.ArrayIfAny(w, "auids", Auids);
        w.WriteEndObject();
    }

    public override string ToString()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonLines.WriterOptions)) WriteJson(w);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
