namespace FsAudit.Engine.Classification;

/// <summary>Where an event name comes from (docs/events.md explains each non-AIX name).</summary>
public enum EventNameOrigin
{
    /// <summary>AIX's own event name, with AIX's meaning.</summary>
    Aix,
    /// <summary>AIX's name for the nearest AIX event; the Linux meaning is narrower or different (documented).</summary>
    AixAdapted,
    /// <summary>Ours: Linux distinguishes something AIX has no event for.</summary>
    FsAudit,
}

/// <summary>One event name of the catalog: its origin, the x86_64 syscalls that can produce it, one line of description.</summary>
public sealed record EventNameInfo(string Name, EventNameOrigin Origin, string Description, IReadOnlyList<string> Syscalls);
