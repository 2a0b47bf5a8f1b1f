using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Bench;

/// <summary>The kernel audit operations the bench uses; a seam so state restoration is testable without a kernel.</summary>
public interface IAuditKernel : IDisposable
{
    AuditStatus GetStatus();
    IReadOnlyList<AuditRule> ListRules();
    void AddRule(AuditRule rule);
    void DeleteRule(AuditRule rule);
    void SetEnabled(uint enabled);
    void SetFailure(uint failure);
    void SetBacklogLimit(uint limit);
    void SetBacklogWaitTime(uint waitTime);
    void SetRateLimit(uint rate);
    /// <summary>Only 0 is meaningful here: unregisters a daemon of this process.</summary>
    void SetPid(uint pid);
}

/// <summary><see cref="IAuditKernel"/> over a netlink <see cref="AuditControl"/> socket (thread-safe: it locks per request).</summary>
public sealed class NetlinkAuditKernel : IAuditKernel
{
    private readonly AuditControl _control = new();

    public AuditStatus GetStatus() => _control.GetStatus();
    public IReadOnlyList<AuditRule> ListRules() => _control.ListRules();
    public void AddRule(AuditRule rule) => _control.AddRule(rule);
    public void DeleteRule(AuditRule rule) => _control.DeleteRule(rule);
    public void SetEnabled(uint enabled) => _control.SetEnabled(enabled);
    public void SetFailure(uint failure) => _control.SetFailure(failure);
    public void SetBacklogLimit(uint limit) => _control.SetBacklogLimit(limit);
    public void SetBacklogWaitTime(uint waitTime) => _control.SetBacklogWaitTime(waitTime);
    public void SetRateLimit(uint rate) => _control.SetRateLimit(rate);
    public void SetPid(uint pid) => _control.SetPid(pid);
    public void Dispose() => _control.Dispose();
}
