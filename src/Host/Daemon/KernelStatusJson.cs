using System.Text.Json;
using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Daemon;

/// <summary>The kernel part of <c>status</c>: read straight from the kernel, with or without a daemon.</summary>
public static class KernelStatusJson
{
    public static void Write(Utf8JsonWriter w, AuditStatus s, IReadOnlyList<AuditRule> rules, long? lostAtStart = null,
        BacklogWakeCounts? wakes = null)
    {
        w.WriteStartObject("kernel");
        w.WriteNumber("enabled", s.Enabled);
        w.WriteNumber("failure", s.Failure);
        w.WriteNumber("pid", s.Pid);
        w.WriteNumber("backlog", s.Backlog);
        w.WriteNumber("backlog_limit", s.BacklogLimit);
        w.WriteNumber("backlog_wait_time", s.BacklogWaitTime);
        w.WriteNumber("rate_limit", s.RateLimit);
        w.WriteNumber("lost", s.Lost);
        if (lostAtStart is { } l) w.WriteNumber("lost_since_start", unchecked((uint)(s.Lost - (uint)l)));
        if (wakes is { } k)
        {
            w.WriteNumber("backlog_wakes_sent", k.Sent);
            w.WriteNumber("backlog_wake_failures", k.Failed);
        }
        w.WriteStartArray("rules");
        foreach (var r in rules) w.WriteStringValue(r.ToString());
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
