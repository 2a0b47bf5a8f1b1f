using FsAudit.Engine.Netlink;
using FsAudit.Host.Bench;

namespace FsAudit.Tests.Bench;

/// <summary>An in-memory kernel audit state that behaves like the kernel for the calls the bench makes.</summary>
internal sealed class FakeAuditKernel : IAuditKernel
{
    private readonly object _gate = new();
    private AuditStatus _status;
    private readonly List<AuditRule> _rules = [];

    public FakeAuditKernel(AuditStatus status, params AuditRule[] rules)
    {
        _status = status;
        _rules.AddRange(rules);
    }

    public List<string> Calls { get; } = [];

    public AuditStatus Status
    {
        get { lock (_gate) return _status; }
        set { lock (_gate) _status = value; }
    }

    public IReadOnlyList<AuditRule> Rules
    {
        get { lock (_gate) return _rules.ToList(); }
    }

    public AuditStatus GetStatus()
    {
        Interlocked.Increment(ref _statusReads);
        return Status;
    }

    private int _statusReads;

    /// <summary>How many times the code under test read the status (lets a fake wait for a real sample).</summary>
    public int StatusReads => Volatile.Read(ref _statusReads);
    public IReadOnlyList<AuditRule> ListRules() => Rules;

    public void AddRule(AuditRule rule)
    {
        lock (_gate)
        {
            Calls.Add("add " + rule);
            if (_rules.Contains(rule)) throw new AuditKernelException(AuditMessageType.AddRule, 17); // EEXIST
            _rules.Add(rule);
        }
    }

    public void DeleteRule(AuditRule rule)
    {
        lock (_gate)
        {
            Calls.Add("delete " + rule);
            if (!_rules.Remove(rule)) throw new AuditKernelException(AuditMessageType.DelRule, 2); // ENOENT
        }
    }

    public void SetEnabled(uint enabled) => Set("enabled", s => s with { Enabled = enabled }, enabled);
    public void SetFailure(uint failure) => Set("failure", s => s with { Failure = failure }, failure);
    public void SetBacklogLimit(uint limit) => Set("backlog_limit", s => s with { BacklogLimit = limit }, limit);
    public void SetBacklogWaitTime(uint waitTime) => Set("backlog_wait_time", s => s with { BacklogWaitTime = waitTime }, waitTime);
    public void SetRateLimit(uint rate) => Set("rate_limit", s => s with { RateLimit = rate }, rate);
    public void SetPid(uint pid) => Set("pid", s => s with { Pid = pid }, pid);

    private void Set(string name, Func<AuditStatus, AuditStatus> change, uint value)
    {
        lock (_gate)
        {
            Calls.Add($"set {name}={value}");
            if (name is "enabled" or "failure" && value == 2) throw new InvalidOperationException($"{name}=2 must never be set");
            _status = change(_status);
        }
    }

    public void Dispose() { }

    /// <summary>A typical found state: audit off, no daemon, the kernel's defaults.</summary>
    public static AuditStatus Idle => new(AuditStatusMask.None, Enabled: 0, Failure: 1, Pid: 0, RateLimit: 0, BacklogLimit: 64,
        Lost: 10, Backlog: 0, FeatureBitmap: 0, BacklogWaitTime: 15000, BacklogWaitTimeActual: 0);
}
