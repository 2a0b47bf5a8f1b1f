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
}

public static class BenchModes
{
    public static readonly IReadOnlyList<BenchMode> All = [BenchMode.Off, BenchMode.Drain, BenchMode.FsAudit, BenchMode.Auditd, BenchMode.AuditdNoLog];

    public static string Name(this BenchMode mode) => mode switch
    {
        BenchMode.Off => "off",
        BenchMode.Drain => "drain",
        BenchMode.FsAudit => "fsaudit",
        BenchMode.Auditd => "auditd",
        BenchMode.AuditdNoLog => "auditd-nolog",
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
}
