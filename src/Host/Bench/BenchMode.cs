namespace FsAudit.Host.Bench;

/// <summary>What reads the kernel's audit records while the workload runs.</summary>
public enum BenchMode
{
    /// <summary>Audit disabled: the workload's own speed.</summary>
    Off,
    /// <summary>A minimal reader registered as the daemon that only counts records: the physical limit.</summary>
    Drain,
    /// <summary>The full daemon, <c>fsaudit run</c>, as a child process.</summary>
    FsAudit,
    /// <summary>Debian's auditd writing its log file.</summary>
    Auditd,
    /// <summary>Debian's auditd with <c>write_logs = no</c>: its reading and formatting cost alone.</summary>
    AuditdNoLog,
    /// <summary>
    /// <see cref="Drain"/> plus a second thread that spends <c>--busy-us</c> µs of CPU per event received and nothing
    /// else: what any reader doing that much work per event costs the writers, the calibration of the drain target.
    /// </summary>
    DrainBusy,
}

public static class BenchModes
{
    /// <summary>Every mode there is.</summary>
    public static readonly IReadOnlyList<BenchMode> All = [BenchMode.Off, BenchMode.Drain, BenchMode.FsAudit, BenchMode.Auditd, BenchMode.AuditdNoLog, BenchMode.DrainBusy];

    /// <summary>What runs without <c>--modes</c>: every mode but the calibration <see cref="BenchMode.DrainBusy"/>.</summary>
    public static readonly IReadOnlyList<BenchMode> Default = All.Where(m => m != BenchMode.DrainBusy).ToArray();

    public static string Name(this BenchMode mode) => mode switch
    {
        BenchMode.Off => "off",
        BenchMode.Drain => "drain",
        BenchMode.FsAudit => "fsaudit",
        BenchMode.Auditd => "auditd",
        BenchMode.AuditdNoLog => "auditd-nolog",
        BenchMode.DrainBusy => "drain-busy",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public static bool TryParse(string text, out BenchMode mode)
    {
        foreach (var m in All)
            if (string.Equals(m.Name(), text, StringComparison.OrdinalIgnoreCase))
            {
                mode = m;
                return true;
            }
        mode = default;
        return false;
    }

    /// <summary>True when the kernel sends records to a reader in this mode (the rule is installed, audit enabled).</summary>
    public static bool IsAudited(this BenchMode mode) => mode != BenchMode.Off;

    /// <summary>True when the reader is a thread of the bench's own process (its CPU is already in the bench's).</summary>
    public static bool IsInProcess(this BenchMode mode) => mode is BenchMode.Drain or BenchMode.DrainBusy;
}
