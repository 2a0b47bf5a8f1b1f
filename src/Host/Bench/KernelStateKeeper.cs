using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Bench;

/// <summary>
/// The kernel audit state the bench found (enabled, failure, daemon pid, backlog limit and wait time, rate
/// limit, rules), and how to put it back. <see cref="Restore"/> runs after every mode, on failure and on
/// Ctrl-C. It never sets failure=2 or enabled=2, and only deletes extra rules that watch the bench's own tree.
/// </summary>
public sealed class KernelStateKeeper
{
    private readonly IAuditKernel _kernel;
    private readonly string _ownedRoot;

    private KernelStateKeeper(IAuditKernel kernel, string ownedRoot, AuditStatus found, IReadOnlyList<AuditRule> rules)
    {
        _kernel = kernel;
        _ownedRoot = ownedRoot.TrimEnd('/');
        Found = found;
        FoundRules = rules;
    }

    public AuditStatus Found { get; }
    public IReadOnlyList<AuditRule> FoundRules { get; }

    /// <summary>
    /// Snapshots the state. Refuses when another live daemon is registered (its records would be ours, and the
    /// bench cannot unregister another process) or when the configuration is locked (enabled=2).
    /// </summary>
    /// <param name="isAlive">Whether a pid names a live process (a seam for tests).</param>
    public static KernelStateKeeper Capture(IAuditKernel kernel, string ownedRoot, Func<uint, bool>? isAlive = null)
    {
        isAlive ??= pid => Directory.Exists($"/proc/{pid}");
        var status = kernel.GetStatus();
        if (status.Enabled == 2)
            throw new BenchException("the kernel's audit configuration is locked (enabled=2): the bench cannot change it");
        if (status.Pid != 0 && status.Pid != (uint)Environment.ProcessId && isAlive(status.Pid))
            throw new BenchException($"another audit daemon is registered (pid {status.Pid}); stop it before benchmarking");
        return new KernelStateKeeper(kernel, ownedRoot, status, kernel.ListRules());
    }

    /// <summary>True when a rule watches a path inside the bench's tree (so the bench may delete it).</summary>
    public bool IsOwned(AuditRule rule) =>
        rule.Fields.Any(f => f.IsString && (f.Field is AuditField.Dir or AuditField.Watch) && f.Text is { } t &&
                             (t == _ownedRoot || t.StartsWith(_ownedRoot + "/", StringComparison.Ordinal)));

    /// <summary>
    /// Puts the found state back, each part attempted even when another fails. Returns what could not be
    /// restored (empty on success).
    /// </summary>
    public IReadOnlyList<string> Restore()
    {
        var problems = new List<string>();
        void Try(string what, Action action)
        {
            try { action(); }
            catch (Exception e) { problems.Add($"{what}: {e.Message}"); }
        }

        AuditStatus now;
        try { now = _kernel.GetStatus(); }
        catch (Exception e) { return [$"reading the kernel's status: {e.Message}"]; }

        if (now.Pid != Found.Pid && now.Pid == (uint)Environment.ProcessId)
            Try("unregister the bench's reader", () => _kernel.SetPid(0));
        else if (now.Pid != Found.Pid && now.Pid != 0)
            problems.Add($"audit daemon pid {now.Pid} is still registered (a child that did not stop?)");

        Try("rules", () => RestoreRules(problems));

        if (now.Failure != Found.Failure && Found.Failure != 2) Try("failure", () => _kernel.SetFailure(Found.Failure));
        if (now.RateLimit != Found.RateLimit) Try("rate_limit", () => _kernel.SetRateLimit(Found.RateLimit));
        if (now.BacklogLimit != Found.BacklogLimit) Try("backlog_limit", () => _kernel.SetBacklogLimit(Found.BacklogLimit));
        if (now.BacklogWaitTime != Found.BacklogWaitTime) Try("backlog_wait_time", () => _kernel.SetBacklogWaitTime(Found.BacklogWaitTime));
        if (now.Enabled != Found.Enabled && Found.Enabled != 2) Try("enabled", () => _kernel.SetEnabled(Found.Enabled));
        return problems;
    }

    private void RestoreRules(List<string> problems)
    {
        var expected = FoundRules.ToList();
        foreach (var rule in _kernel.ListRules())
        {
            int i = expected.IndexOf(rule);
            if (i >= 0) expected.RemoveAt(i);
            else if (IsOwned(rule)) _kernel.DeleteRule(rule);
            else problems.Add($"rule not added by the bench left as it is: {rule}");
        }
        foreach (var missing in expected) _kernel.AddRule(missing);
    }
}

/// <summary>A bench run cannot go on (refused start, a mode that failed to come up); the message says why.</summary>
public sealed class BenchException(string message, Exception? inner = null) : Exception(message, inner);
