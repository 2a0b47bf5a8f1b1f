using System.Text.Json;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// A validated <c>{"op":"subscribe", ...}</c> request. Every field is optional; unknown fields, wrong types,
/// unknown classes and events are errors with a message fit to show the user.
/// </summary>
public sealed record SubscriptionRequest(string? Name, SubscriptionFilter Filter)
{
    /// <summary>Where the stream starts; null when the request left it out (a named subscriber then resumes after its last ack).</summary>
    public SubscriptionStart? From { get; init; }

    public const int MaxNameLength = 64;

    private static readonly string[] Fields = ["op", "name", "classes", "events", "paths", "keys", "success", "uids", "auids", "from"];

    public static bool TryParse(JsonElement request, IEventCatalog catalog, out SubscriptionRequest? result, out string? error)
    {
        result = null;
        error = Validate(request, catalog, ref result);
        return error is null;
    }

    private static string? Validate(JsonElement r, IEventCatalog catalog, ref SubscriptionRequest? result)
    {
        if (r.ValueKind != JsonValueKind.Object) return "request must be a JSON object";
        foreach (var p in r.EnumerateObject())
            if (Array.IndexOf(Fields, p.Name) < 0)
                return $"unknown field \"{p.Name}\" (subscribe accepts: {string.Join(", ", Fields)})";

        string? name = null;
        if (r.TryGetProperty("name", out var n))
        {
            if (n.ValueKind != JsonValueKind.String) return "field \"name\" must be a string";
            name = n.GetString()!;
            if (!IsValidName(name))
                return $"field \"name\" must be 1-{MaxNameLength} characters of letters, digits, '.', '_' or '-'";
        }

        SubscriptionStart? start = null;
        if (r.TryGetProperty("from", out var from))
        {
            start = SubscriptionStart.Parse(from);
            if (start is null)
                return "field \"from\" must be \"now\", \"earliest\", an offset (integer >= 1) or a time (ISO 8601, e.g. \"2025-11-25T16:30:00Z\")";
        }

        if (Strings(r, "classes", out var classes) is { } e1) return e1;
        if (Strings(r, "events", out var events) is { } e2) return e2;
        if (Strings(r, "paths", out var rawPaths) is { } e3) return e3;
        if (Strings(r, "keys", out var keys) is { } e4) return e4;
        if (Ids(r, "uids", out var uids) is { } e5) return e5;
        if (Ids(r, "auids", out var auids) is { } e6) return e6;
        if (SuccessField(r, out bool? success) is { } e7) return e7;

        HashSet<string>? eventNames = null;
        if (classes.Count > 0 || events.Count > 0)
        {
            eventNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in classes)
            {
                if (!catalog.TryExpandClass(c, out var members)) return $"unknown class \"{c}\"";
                eventNames.UnionWith(members);
            }
            foreach (var ev in events)
            {
                if (!catalog.IsKnownEvent(ev)) return $"unknown event \"{ev}\"";
                eventNames.Add(ev);
            }
        }

        var paths = new List<string>(rawPaths.Count);
        foreach (var p in rawPaths)
        {
            if (PathPrefix.Normalize(p) is not { } normalized) return $"path \"{p}\" is not absolute";
            if (!paths.Contains(normalized)) paths.Add(normalized);
        }
        foreach (var k in keys)
            if (k.Length == 0) return "field \"keys\" must not contain an empty key";

        result = new SubscriptionRequest(name, new SubscriptionFilter(classes, events, eventNames, paths, keys, success, uids, auids)) { From = start };
        return null;
    }

    private static bool IsValidName(string name)
    {
        if (name.Length is 0 or > MaxNameLength) return false;
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        return true;
    }

    private static string? Strings(JsonElement r, string field, out IReadOnlyList<string> values)
    {
        values = [];
        if (!r.TryGetProperty(field, out var a)) return null;
        string error = $"field \"{field}\" must be an array of strings";
        if (a.ValueKind != JsonValueKind.Array) return error;
        var list = new List<string>(a.GetArrayLength());
        foreach (var item in a.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) return error;
            var s = item.GetString()!;
            if (!list.Contains(s)) list.Add(s);
        }
        values = list;
        return null;
    }

    /// <summary>User ids as JSON integers; -1 stands for "unset" (4294967295), as auditd prints an unset auid.</summary>
    private static string? Ids(JsonElement r, string field, out IReadOnlyList<uint> values)
    {
        values = [];
        if (!r.TryGetProperty(field, out var a)) return null;
        string error = $"field \"{field}\" must be an array of integers between -1 and 4294967295";
        if (a.ValueKind != JsonValueKind.Array) return error;
        var list = new List<uint>(a.GetArrayLength());
        foreach (var item in a.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long id) || id < -1 || id > uint.MaxValue) return error;
            uint value = id == -1 ? uint.MaxValue : (uint)id;
            if (!list.Contains(value)) list.Add(value);
        }
        values = list;
        return null;
    }

    private static string? SuccessField(JsonElement r, out bool? success)
    {
        success = null;
        if (!r.TryGetProperty("success", out var s)) return null;
        switch (s.ValueKind)
        {
            case JsonValueKind.True: success = true; return null;
            case JsonValueKind.False: success = false; return null;
            case JsonValueKind.String when s.GetString() == "any": return null;
            default: return "field \"success\" must be true, false or \"any\"";
        }
    }
}

public enum StartKind
{
    Now,
    Earliest,
    Offset,
    Time,
}

/// <summary>The <c>from</c> of a subscription: now, the oldest stored event, an offset, or an event time.</summary>
public sealed record SubscriptionStart(StartKind Kind, long Offset = 0, DateTimeOffset Time = default)
{
    public static readonly SubscriptionStart Now = new(StartKind.Now);
    public static readonly SubscriptionStart Earliest = new(StartKind.Earliest);

    /// <summary>Parses "now", "earliest", an offset (JSON integer or digits) or an ISO 8601 time with offset; null when invalid.</summary>
    public static SubscriptionStart? Parse(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Number)
            return v.TryGetInt64(out long n) && n >= 1 ? new SubscriptionStart(StartKind.Offset, n) : null;
        return v.ValueKind == JsonValueKind.String ? Parse(v.GetString()!) : null;
    }

    public static SubscriptionStart? Parse(string s)
    {
        if (s == "now") return Now;
        if (s == "earliest") return Earliest;
        if (s.Length > 0 && s.All(char.IsAsciiDigit))
            return long.TryParse(s, out long n) && n >= 1 ? new SubscriptionStart(StartKind.Offset, n) : null;
        // A time must say its zone: "2025-11-25T16:30:00Z" or "+01:00"; a bare local time would be ambiguous.
        if (s.Contains('T') && (s.EndsWith('Z') || s.LastIndexOfAny(['+', '-']) > s.IndexOf('T'))
            && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t))
            return new SubscriptionStart(StartKind.Time, Time: t);
        return null;
    }

    public override string ToString() => Kind switch
    {
        StartKind.Offset => Offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
        StartKind.Time => Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
