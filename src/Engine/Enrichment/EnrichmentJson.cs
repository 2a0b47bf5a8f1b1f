using FsAudit.Engine.Events;

namespace FsAudit.Engine.Enrichment;

/// <summary>
/// Writes <c>"enriched": {"uid": "root", "auid": "unset", "parent_exe": "/usr/bin/bash", "container_id": "...",
/// "cgroup": "/system.slice/..."}</c> into the current event object; members not found are left out.
/// </summary>
public static class EnrichmentJson
{
    public const string PropertyName = "enriched";

    private static readonly JsonName Enriched = new(PropertyName), Uid = new("uid"), Gid = new("gid"), Auid = new("auid"),
        Euid = new("euid"), Egid = new("egid"), ParentExe = new("parent_exe"), ContainerId = new("container_id"),
        Cgroup = new("cgroup");

    /// <summary>Writes the property (nothing when <paramref name="e"/> is empty).</summary>
    public static void WriteProperty(JsonLineWriter w, EventEnrichment e)
    {
        if (e.IsEmpty) return;
        w.StartObject(Enriched);
        Optional(w, Uid, e.Uid);
        Optional(w, Gid, e.Gid);
        Optional(w, Auid, e.Auid);
        Optional(w, Euid, e.Euid);
        Optional(w, Egid, e.Egid);
        Optional(w, ParentExe, e.ParentExe);
        Optional(w, ContainerId, e.ContainerId);
        Optional(w, Cgroup, e.Cgroup);
        w.EndObject();
    }

    private static void Optional(JsonLineWriter w, JsonName name, string? value)
    {
        if (value != null) w.String(name, value);
    }
}
