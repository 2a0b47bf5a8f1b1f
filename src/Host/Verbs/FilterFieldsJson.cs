using System.Text.Json;

namespace FsAudit.Host.Verbs;

/// <summary>Writes the filter fields of a subscribe request, as <c>subscribe</c> and <c>replay</c> both build one.</summary>
internal static class FilterFieldsJson
{
    public static void Write(Utf8JsonWriter w, IReadOnlyList<string> classes, IReadOnlyList<string> events, IReadOnlyList<string> paths,
        IReadOnlyList<string> keys, bool? success, IReadOnlyList<long> uids, IReadOnlyList<long> auids)
    {
        Strings(w, "classes", classes);
        Strings(w, "events", events);
        // Relative paths are made absolute against the caller's working directory.
        Strings(w, "paths", paths.Select(p => Path.IsPathRooted(p) ? p : Path.GetFullPath(p)).ToList());
        Strings(w, "keys", keys);
        if (success is { } s) w.WriteBoolean("success", s);
        Ids(w, "uids", uids);
        Ids(w, "auids", auids);
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Ids(Utf8JsonWriter w, string name, IReadOnlyList<long> values)
    {
        if (values.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
