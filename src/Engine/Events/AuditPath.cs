namespace FsAudit.Engine.Events;

/// <summary>One PATH record of an event (a name the syscall looked up).</summary>
public sealed class AuditPath
{
    /// <summary><c>item=</c>: position among the event's names.</summary>
    public int Item { get; init; }

    /// <summary>The name made absolute (joined with the CWD, or with the PARENT item's directory); null for <c>(null)</c>.</summary>
    public string? Name { get; init; }

    /// <summary>The name exactly as the kernel logged it (decoded); may be relative.</summary>
    public string? RawName { get; init; }

    public ulong? Inode { get; init; }

    /// <summary><c>dev=MAJOR:MINOR</c> in hex, as logged.</summary>
    public string? Dev { get; init; }

    /// <summary>File type and permission bits (<c>mode=0100644</c>).</summary>
    public uint? Mode { get; init; }

    public uint? Ouid { get; init; }

    public uint? Ogid { get; init; }

    /// <summary>NORMAL, PARENT, CREATE, DELETE, UNKNOWN.</summary>
    public string? NameType { get; init; }
}
