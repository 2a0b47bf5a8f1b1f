namespace FsAudit.Host.Bench;

/// <summary>Extra operations a writer does in each iteration, beyond create → write → close → delete.</summary>
[Flags]
public enum WorkloadMix
{
    None = 0,
    /// <summary>Rename the file before deleting it (the delete then hits the new name).</summary>
    Rename = 1,
    /// <summary>mkdir then rmdir of a sibling directory.</summary>
    Mkdir = 2,
    /// <summary>chmod the file before deleting it.</summary>
    Chmod = 4,
}

public static class WorkloadMixes
{
    private static readonly (string Name, WorkloadMix Flag)[] Names =
        [("rename", WorkloadMix.Rename), ("mkdir", WorkloadMix.Mkdir), ("chmod", WorkloadMix.Chmod)];

    /// <summary>
    /// Audit events one iteration produces under a <c>perm=wa</c> directory watch: the creating open and the
    /// unlink; rename, mkdir, rmdir and chmod add one each. write and close are not in the watched classes.
    /// </summary>
    public static int EventsPerIteration(this WorkloadMix mix) =>
        2 + (mix.HasFlag(WorkloadMix.Rename) ? 1 : 0) + (mix.HasFlag(WorkloadMix.Mkdir) ? 2 : 0) + (mix.HasFlag(WorkloadMix.Chmod) ? 1 : 0);

    public static string Format(this WorkloadMix mix) =>
        mix == WorkloadMix.None ? "none" : string.Join(",", Names.Where(n => mix.HasFlag(n.Flag)).Select(n => n.Name));

    /// <summary>Parses "rename,mkdir,chmod" (or "none"); null with an error for an unknown name.</summary>
    public static WorkloadMix? Parse(string text, out string? error)
    {
        error = null;
        var mix = WorkloadMix.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("none", StringComparison.OrdinalIgnoreCase)) continue;
            var hit = Names.FirstOrDefault(n => n.Name.Equals(part, StringComparison.OrdinalIgnoreCase));
            if (hit.Name is null)
            {
                error = $"unknown mix operation \"{part}\" (expected any of {string.Join(", ", Names.Select(n => n.Name))}, or none)";
                return null;
            }
            mix |= hit.Flag;
        }
        return mix;
    }
}

/// <summary>Options of <c>fsaudit bench</c>, validated (see <see cref="BenchCommand"/>).</summary>
public sealed record BenchOptions
{
    public const uint DefaultBacklogLimit = 4096;
    /// <summary>The kernel's default (60 s at HZ=250), in auditctl's unit.</summary>
    public const uint DefaultBacklogWaitTime = 15000;

    /// <summary>Writer-process counts; every mode runs once per entry.</summary>
    public IReadOnlyList<int> Writers { get; init; } = [1];
    public int Seconds { get; init; } = 10;
    /// <summary>Bytes written per file.</summary>
    public int Bytes { get; init; } = 64;
    public WorkloadMix Mix { get; init; } = WorkloadMix.None;
    public IReadOnlyList<BenchMode> Modes { get; init; } = BenchModes.Default;
    public uint BacklogLimit { get; init; } = DefaultBacklogLimit;
    public uint BacklogWaitTime { get; init; } = DefaultBacklogWaitTime;
    /// <summary>Subscribers reading every event from the fsaudit daemon's socket (fsaudit mode only).</summary>
    public int Subscribers { get; init; }
    /// <summary>Subscribers that subscribe to every event and never read (fsaudit mode only).</summary>
    public int StalledSubscribers { get; init; }
    /// <summary>fsaudit mode: the daemon's event journal on (the default, what the targets are set for) or off (live delivery only).</summary>
    public bool Journal { get; init; } = true;
    /// <summary>drain mode: sleep this long after a short read (0 = read every datagram as it arrives).</summary>
    public int DrainCoalesceMs { get; init; } = 5;
    /// <summary>drain-busy mode: µs of CPU its second thread spends per event received.</summary>
    public double BusyMicrosPerEvent { get; init; } = DefaultBusyMicrosPerEvent;
    public const double DefaultBusyMicrosPerEvent = 3;
    /// <summary>
    /// Every writer count and mode is measured this many times, in rounds (all modes, then all again in reverse order), so each
    /// mode's runs are spread over the same minutes; ratios are per round, their median decides the targets.
    /// </summary>
    public int Rounds { get; init; } = 1;
    /// <summary>fsaudit mode: a HOCON file appended to the generated daemon config (later keys win).</summary>
    public string? DaemonConfig { get; init; }
    public bool Json { get; init; }
    /// <summary>
    /// The directory under which the bench makes its temp tree (the watched load directories and the fsaudit daemon's
    /// state: journal, spill files); null = the system's temp directory. Put it on the file system you want to size.
    /// </summary>
    public string? Directory { get; init; }
    /// <summary>Where Debian's auditd packages are downloaded and unpacked (never installed).</summary>
    public string AuditdCache { get; init; } = "/var/cache/fsaudit-bench";
    /// <summary>How long to wait for the machine's kernel lock held by kernel tests or another bench.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Parses "1,2,4": positive integers, duplicates kept out, order kept.</summary>
    public static IReadOnlyList<int>? ParseWriters(string text, out string? error)
    {
        error = null;
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, out int n) || n < 1 || n > 256)
            {
                error = $"writer count \"{part}\" is not an integer from 1 to 256";
                return null;
            }
            if (!list.Contains(n)) list.Add(n);
        }
        if (list.Count == 0) error = "at least one writer count is needed (e.g. --writers 1,2)";
        return list.Count == 0 ? null : list;
    }

    /// <summary>Parses "off,drain,fsaudit,auditd,auditd-nolog" (any subset, run in the order given).</summary>
    public static IReadOnlyList<BenchMode>? ParseModes(string text, out string? error)
    {
        error = null;
        var list = new List<BenchMode>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!BenchModes.TryParse(part, out var mode))
            {
                error = $"unknown mode \"{part}\" (expected any of {string.Join(", ", BenchModes.All.Select(m => m.Name()))})";
                return null;
            }
            if (!list.Contains(mode)) list.Add(mode);
        }
        if (list.Count == 0) error = "at least one mode is needed (e.g. --modes off,drain,fsaudit)";
        return list.Count == 0 ? null : list;
    }
}
