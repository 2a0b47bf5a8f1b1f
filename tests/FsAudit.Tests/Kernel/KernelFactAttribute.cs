using Xunit;
using FsAudit.Engine.Netlink;

namespace FsAudit.Tests.Kernel;

/// <summary>
/// A fact that needs the kernel audit subsystem: skipped, with the reason, when the process is not root or
/// NETLINK_AUDIT cannot be used (no audit in the kernel, a container, audit locked immutable).
/// </summary>
public sealed class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute()
    {
        if (KernelAudit.UnavailableReason is { } reason) Skip = reason;
    }
}

/// <summary>One probe per test run of whether kernel audit tests can run here.</summary>
public static class KernelAudit
{
    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Null when kernel tests can run, else why not.</summary>
    public static string? UnavailableReason => Reason.Value;

    private static string? Probe()
    {
        if ((uint)Tmds.Linux.LibC.geteuid() != 0)
            return "Kernel audit tests need root (CAP_AUDIT_CONTROL).";
        try
        {
            using var control = new AuditControl(timeoutMs: 2000);
            var status = control.GetStatus();
            if (status.Enabled == 2)
                return "Kernel audit is locked (enabled=2, immutable until reboot); tests could not restore its state.";
            return null;
        }
        catch (Exception e) when (e is NetlinkSocketException or AuditKernelException or AuditTimeoutException)
        {
            return $"NETLINK_AUDIT is unusable here: {e.Message}";
        }
    }
}
