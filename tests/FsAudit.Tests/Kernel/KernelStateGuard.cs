using FsAudit.Engine.Netlink;

namespace FsAudit.Tests.Kernel;

/// <summary>
/// Snapshots the kernel audit state (enabled, failure, daemon pid, rate/backlog limits, backlog wait time, rules)
/// and restores it on Dispose, also after a failed test: rules added since are deleted, rules removed are put
/// back, a daemon registered by this process is unregistered, settings are reset.
/// Use it in every kernel test: <c>using var guard = KernelStateGuard.Capture();</c>
/// </summary>
public sealed class KernelStateGuard : IDisposable
{
    /// <summary>
    /// Held for the guard's lifetime: the audit daemon slot is machine-wide, so kernel users in other
    /// processes (another test run, a benchmark: `flock /run/lock/fsaudit-kernel.lock CMD`) wait their turn.
    /// </summary>
    public const string MachineLockPath = "/run/lock/fsaudit-kernel.lock";

    private readonly AuditControl _control;
    private readonly FileStream _machineLock;
    private bool _disposed;

    private KernelStateGuard(AuditControl control, FileStream machineLock, AuditStatus status, IReadOnlyList<AuditRule> rules)
    {
        _control = control;
        _machineLock = machineLock;
        Status = status;
        Rules = rules;
    }

    /// <summary>The state at capture.</summary>
    public AuditStatus Status { get; }

    public IReadOnlyList<AuditRule> Rules { get; }

    /// <summary>A control connection for the test to use (closed by Dispose).</summary>
    public AuditControl Control => _disposed ? throw new ObjectDisposedException(nameof(KernelStateGuard)) : _control;

    public static KernelStateGuard Capture()
    {
        var machineLock = AcquireMachineLock(TimeSpan.FromMinutes(10));
        AuditControl? control = null;
        try
        {
            control = new AuditControl();
            return new KernelStateGuard(control, machineLock, control.GetStatus(), control.ListRules());
        }
        catch
        {
            control?.Dispose();
            machineLock.Dispose();
            throw;
        }
    }

    private static FileStream AcquireMachineLock(TimeSpan timeout)
    {
        string dir = Path.GetDirectoryName(MachineLockPath)!;
        string path = Directory.Exists(dir) ? MachineLockPath : Path.Combine(Path.GetTempPath(), "fsaudit-kernel.lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // FileShare.None makes .NET take flock(LOCK_EX|LOCK_NB) on Unix: the same lock flock(1) takes.
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
            catch (IOException e)
            {
                throw new TimeoutException($"another process held {path} (a kernel test or benchmark) for {timeout}", e);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var errors = new List<Exception>();
        void Try(Action action)
        {
            try { action(); }
            catch (Exception e) { errors.Add(e); }
        }

        try
        {
            var now = _control.GetStatus();
            // Stop the record flow first. The kernel only lets the daemon's own process unregister it.
            if (now.Pid != 0 && now.Pid != Status.Pid)
            {
                if (now.Pid == (uint)Environment.ProcessId) Try(() => _control.SetPid(0));
                else if (!Directory.Exists($"/proc/{now.Pid}")) Try(() => DropStaleDaemon(now.Pid));
                else errors.Add(new InvalidOperationException($"Audit daemon pid {now.Pid} registered during the test is another process; it cannot be unregistered from here."));
            }

            Try(RestoreRules);

            if (now.Failure != Status.Failure && Status.Failure != 2) Try(() => _control.SetFailure(Status.Failure));
            if (now.RateLimit != Status.RateLimit) Try(() => _control.SetRateLimit(Status.RateLimit));
            if (now.BacklogLimit != Status.BacklogLimit) Try(() => _control.SetBacklogLimit(Status.BacklogLimit));
            if (now.BacklogWaitTime != Status.BacklogWaitTime) Try(() => _control.SetBacklogWaitTime(Status.BacklogWaitTime));
            if (now.Enabled != Status.Enabled && Status.Enabled != 2) Try(() => _control.SetEnabled(Status.Enabled));
        }
        catch (Exception e)
        {
            errors.Add(e);
        }
        finally
        {
            _control.Dispose();
            _machineLock.Dispose(); // closing the file releases the flock
        }
        if (errors.Count > 0) throw new AggregateException("Restoring the kernel audit state failed.", errors);
    }

    /// <summary>
    /// A daemon killed during the test (a failed assertion disposes its process) stays registered until kauditd next
    /// fails to send to it; nobody else may unregister it. A user message makes kauditd send, notice and drop it, so a
    /// failed daemon test reports its own failure instead of this guard's, and the next test can register.
    /// </summary>
    private void DropStaleDaemon(uint pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        for (var status = _control.GetStatus(); status.Pid == pid; status = _control.GetStatus())
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"Audit daemon pid {pid} exited during the test but stayed registered for 5 s.");
            if (status.Enabled != 0) _control.SendUserMessage("fsaudit test: dropping the registration of an exited audit daemon");
            Thread.Sleep(50);
        }
    }

    private void RestoreRules()
    {
        var current = _control.ListRules();
        var expected = Rules.ToList();
        foreach (var rule in current)
        {
            int i = expected.IndexOf(rule);
            if (i >= 0) expected.RemoveAt(i);
            else _control.DeleteRule(rule);
        }
        foreach (var missing in expected) _control.AddRule(missing);
    }

    /// <summary>How the kernel's state now differs from the snapshot (empty when restored). Usable after Dispose.</summary>
    public IReadOnlyList<string> Differences()
    {
        using var control = new AuditControl();
        var now = control.GetStatus();
        var diffs = new List<string>();
        void Check(string name, uint before, uint after)
        {
            if (before != after) diffs.Add($"{name}: {before} -> {after}");
        }
        Check("enabled", Status.Enabled, now.Enabled);
        Check("failure", Status.Failure, now.Failure);
        Check("pid", Status.Pid, now.Pid);
        Check("rate_limit", Status.RateLimit, now.RateLimit);
        Check("backlog_limit", Status.BacklogLimit, now.BacklogLimit);
        Check("backlog_wait_time", Status.BacklogWaitTime, now.BacklogWaitTime);
        var rules = control.ListRules();
        if (!rules.SequenceEqual(Rules))
            diffs.Add($"rules: [{string.Join("; ", Rules)}] -> [{string.Join("; ", rules)}]");
        return diffs;
    }
}
