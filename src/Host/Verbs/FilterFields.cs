using System.Text.Json;
using FsAudit.Actors.Subscribers;

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
        JsonLines.ArrayIfAny(w, "classes", Classes);
        JsonLines.ArrayIfAny(w, "events", Events);
        // Relative paths are made absolute against the caller's working directory.
        JsonLines.ArrayIfAny(w, "paths", Paths.Select(p => Path.IsPathRooted(p) ? p : Path.GetFullPath(p)).ToList());
        JsonLines.ArrayIfAny(w, "keys", Keys);
        if (Success is { } s) w.WriteBoolean("success", s);
        JsonLines.ArrayIfAny(w, "uids", Uids);
        JsonLines.ArrayIfAny(w, "auids", Auids);
    }
}
