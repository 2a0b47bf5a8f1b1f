using System.Text.Json;

namespace FsAudit.Engine.Enrichment;

/// <summary>
/// Writes <c>"enriched": {"uid": "root", "auid": "unset", "parent_exe": "/usr/bin/bash", "container_id": "...",
/// "cgroup": "/system.slice/..."}</c> into the current event object; members not found are left out.
/// </summary>
public static class EnrichmentJson
{
    public const string PropertyName = "enriched";

    /// <summary>Writes the property (nothing when <paramref name="e"/> is empty).</summary>
    public static void WriteProperty(Utf8JsonWriter w, EventEnrichment e, string propertyName = PropertyName)
    {
        if (e.IsEmpty) return;
        w.WriteStartObject(propertyName);
        Optional(w, "uid", e.Uid);
        Optional(w, "gid", e.Gid);
        Optional(w, "auid", e.Auid);
        Optional(w, "euid", e.Euid);
        Optional(w, "egid", e.Egid);
        Optional(w, "parent_exe", e.ParentExe);
        Optional(w, "container_id", e.ContainerId);
        Optional(w, "cgroup", e.Cgroup);
        w.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value != null) w.WriteString(name, value);
    }
}
