using FsAudit.Engine.Events;

namespace FsAudit.Engine.Enrichment;

/// <summary>What to add to live events; each part can be switched off.</summary>
public sealed record EnricherOptions
{
    /// <summary>User/group names for uid, gid, auid, euid, egid.</summary>
    public bool Names { get; init; } = true;

    /// <summary>The parent's executable (/proc/PPID/exe).</summary>
    public bool ParentExe { get; init; } = true;

    /// <summary>The cgroup path and container id (/proc/PID/cgroup).</summary>
    public bool Container { get; init; } = true;

    public string PasswdPath { get; init; } = "/etc/passwd";
    public string GroupPath { get; init; } = "/etc/group";
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>How long names are trusted before the account files are checked for changes.</summary>
    public TimeSpan NameTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a pid's exe/cgroup are trusted (pids are reused).</summary>
    public TimeSpan ProcessTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pids kept in each process cache (least recently used go first).</summary>
    public int ProcessCacheSize { get; init; } = 4096;
}

/// <summary>
/// Adds names and process context to events (<see cref="Enrich"/>). Meant for live events: /proc is read at
/// enrichment time, so for events replayed from a log the process data would describe whatever runs now.
/// Thread-safe.
/// </summary>
public sealed class Enricher
{
    private readonly EnricherOptions _options;

    public Enricher(EnricherOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new EnricherOptions();
        if (_options.Names) Accounts = new AccountNames(_options.PasswdPath, _options.GroupPath, _options.NameTtl, time);
        if (_options.ParentExe || _options.Container)
            Processes = new ProcessInfo(_options.ProcRoot, _options.ProcessCacheSize, _options.ProcessTtl, time);
    }

    public AccountNames? Accounts { get; }
    public ProcessInfo? Processes { get; }

    public EventEnrichment Enrich(AuditEvent e)
    {
        var result = new EventEnrichment();
        if (Accounts is { } a)
        {
            result.Uid = e.Uid is { } uid ? a.User(uid) : null;
            result.Gid = e.Gid is { } gid ? a.Group(gid) : null;
            result.Auid = e.Auid is { } auid ? a.User(auid) : null;
            result.Euid = e.Euid is { } euid ? a.User(euid) : null;
            result.Egid = e.Egid is { } egid ? a.Group(egid) : null;
        }
        if (Processes is { } p)
        {
            if (_options.ParentExe && e.Ppid is { } ppid) result.ParentExe = p.Exe(ppid);
            if (_options.Container && e.Pid is { } pid && p.Cgroup(pid) is { } cg)
            {
                result.Cgroup = cg.Path;
                result.ContainerId = cg.ContainerId;
            }
        }
        return result;
    }
}

/// <summary>What <see cref="Enricher"/> found for one event; null members were not asked for or not found.</summary>
public sealed class EventEnrichment
{
    public string? Uid { get; internal set; }
    public string? Gid { get; internal set; }
    public string? Auid { get; internal set; }
    public string? Euid { get; internal set; }
    public string? Egid { get; internal set; }
    public string? ParentExe { get; internal set; }
    public string? ContainerId { get; internal set; }
    public string? Cgroup { get; internal set; }

    public bool IsEmpty => Uid is null && Gid is null && Auid is null && Euid is null && Egid is null &&
                           ParentExe is null && ContainerId is null && Cgroup is null;
}
