using System.Text.Json;

namespace FsAudit.Host.Verbs;

/// <summary>
/// The filter of a subscribe request as <c>subscribe</c> and <c>replay</c> take it from the command line: the
/// protocol's filter fields, with the same meaning (docs/protocol.md).
/// </summary>
public sealed record FilterFields
{
    public IReadOnlyList<string> Classes { get; init; } = [];
    public IReadOnlyList<string> Events { get; init; } = [];
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> Keys { get; init; } = [];
    /// <summary>null = any outcome.</summary>
    public bool? Success { get; init; }
    public IReadOnlyList<long> Uids { get; init; } = [];
    public IReadOnlyList<long> Auids { get; init; } = [];

    /// <summary>Writes the fields that are set into the current JSON object of a subscribe request.</summary>
    public void Write(Utf8JsonWriter w)
    {
        Strings(w, "classes", Classes);
        Strings(w, "events", Events);
        // Relative paths are made absolute against the caller's working directory.
        Strings(w, "paths", Paths.Select(p => Path.IsPathRooted(p) ? p : Path.GetFullPath(p)).ToList());
        Strings(w, "keys", Keys);
        if (Success is { } s) w.WriteBoolean("success", s);
        Ids(w, "uids", Uids);
        Ids(w, "auids", Auids);
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
