using FsAudit.Engine.Netlink;
using FsAudit.Host.Configuration;

namespace FsAudit.Host.Daemon;

/// <summary>
/// Everything the daemon changes in the kernel, and how it is undone: settings applied at start
/// (restored to the values found), rules added (recorded in a <see cref="RuleLedger"/> so a crashed
/// run's rules are removed by the next), and the daemon registration. <see cref="Dispose"/> undoes all
/// of it and is safe to call after a partial start.
/// </summary>
public sealed class KernelSession : IDisposable
{
    private readonly AuditControl _control;
    private readonly RuleLedger _ledger;
    private readonly FoundSettingsLedger _foundLedger;
    private readonly List<AuditRule> _added = [];
    private bool _settingsChanged, _rulesRemoved, _unregistered, _disposed, _ownsFoundLedger;

    private KernelSession(AuditControl control, string stateDirectory, AuditStatus now)
    {
        _control = control;
        _ledger = new RuleLedger(Path.Combine(stateDirectory, "installed-rules"));
        _foundLedger = new FoundSettingsLedger(Path.Combine(stateDirectory, "kernel-settings-found"));
        Found = now;
        // A previous run that did not stop cleanly left the settings it found: those are the ones to restore.
        if (_foundLedger.Read() is { } earlier)
        {
            Restore = earlier;
            Log.Warn($"a previous run did not stop cleanly: will restore the settings it found (enabled={earlier.Enabled} backlog_limit={earlier.BacklogLimit})");
        }
        else
        {
            Restore = now;
            _foundLedger.Write(now);
            _ownsFoundLedger = true;
        }
    }

    /// <summary>The kernel's status when this session began (lost counter baseline).</summary>
    public AuditStatus Found { get; }

    /// <summary>The settings restored at the end: as found before the first of our runs changed them.</summary>
    public AuditStatus Restore { get; }

    public AuditDaemonConnection? Connection { get; private set; }
    public uint OwnPid { get; } = (uint)Environment.ProcessId;

    /// <summary>Another live daemon is registered (the kernel's pid is set, is not us and is alive).</summary>
    public static uint? OtherDaemon(AuditStatus status) =>
        status.Pid != 0 && status.Pid != (uint)Environment.ProcessId && Directory.Exists($"/proc/{status.Pid}") ? status.Pid : null;

    /// <summary>
    /// Takes the kernel over: removes a crashed run's rules, applies the settings, registers as the daemon. Our rules go
    /// in later (<see cref="AddRules"/>), once a reader drains the socket: under a flood the kernel fills an unread
    /// socket in well under a second, and what it cannot queue it drops.
    /// </summary>
    public static KernelSession Start(KernelSettings kernel, string stateDirectory, bool replace)
    {
        var control = new AuditControl();
        KernelSession? session = null;
        try
        {
            var found = control.GetStatus();
            if (found.Enabled == 2)
                throw new DaemonStartException("the kernel's audit configuration is locked (enabled=2, immutable): reboot to change it");
            session = new KernelSession(control, stateDirectory, found);
            session.TakeOver(replace);
            session.RemoveStaleRules();
            session.ApplySettings(kernel);
            session.Register(kernel.ReceiveBuffer);
            return session;
        }
        catch
        {
            if (session != null) session.Dispose();
            else control.Dispose();
            throw;
        }
    }

    private void TakeOver(bool replace)
    {
        if (OtherDaemon(Found) is not { } pid) return;
        string who = ProcessName(pid);
        if (!replace)
            throw new DaemonStartException($"another audit daemon is registered: pid {pid} ({who}); stop it or run with --replace");
        // The kernel refuses to replace a healthy daemon (EEXIST), so ask it to stop and wait for the kernel to notice.
        Log.Warn($"--replace: stopping the registered audit daemon pid={pid} ({who}) with SIGTERM");
        Tmds.Linux.LibC.kill((int)pid, Tmds.Linux.LibC.SIGTERM);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var now = _control.GetStatus();
            if (now.Pid == 0 || !Directory.Exists($"/proc/{pid}")) return;
            Thread.Sleep(100);
        }
        throw new DaemonStartException($"audit daemon pid {pid} ({who}) did not stop within 10 s");
    }

    public static string ProcessName(uint pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return "exited"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }

    private void RemoveStaleRules()
    {
        foreach (var rule in _ledger.Read())
        {
            try
            {
                _control.DeleteRule(rule);
                Log.Warn($"removed a rule left by a previous run that did not stop cleanly: {rule}");
            }
            catch (AuditKernelException e) when (e.ErrnoName == "ENOENT") { }
        }
        _ledger.Clear();
    }

    private void ApplySettings(KernelSettings k)
    {
        _settingsChanged = true;
        if (Found.Failure != k.Failure) _control.SetFailure(k.Failure);
        if (Found.BacklogLimit != k.BacklogLimit) _control.SetBacklogLimit(k.BacklogLimit);
        if (Found.BacklogWaitTime != k.BacklogWaitTime) _control.SetBacklogWaitTime(k.BacklogWaitTime);
        if (Found.RateLimit != k.RateLimit) _control.SetRateLimit(k.RateLimit);
        if (Found.Enabled != 1) _control.SetEnabled(1);
    }

    /// <summary>Installs our rules (the events start); each is in the ledger before the kernel has it.</summary>
    public void AddRules(IReadOnlyList<AuditRule> rules)
    {
        lock (_gate) AddRulesLocked(rules);
    }

    private void AddRulesLocked(IReadOnlyList<AuditRule> rules)
    {
        if (_rulesRemoved || _disposed) throw new InvalidOperationException("the session is stopping: no rules are added any more");
        foreach (var rule in rules)
        {
            // Ledger first: if we die between the two, the next start deletes a rule that may not exist (ENOENT, ignored).
            _ledger.Write(_added.Append(rule));
            try
            {
                _control.AddRule(rule);
            }
            catch (AuditKernelException e) when (e.ErrnoName == "EEXIST")
            {
                // Someone else's identical rule: it stays theirs, we will not delete it.
                Log.Warn($"rule already present in the kernel, left as it is: {rule}");
                _ledger.Write(_added);
                continue;
            }
            _added.Add(rule);
        }
    }

    private void Register(int receiveBuffer)
    {
        Connection = new AuditDaemonConnection(receiveBuffer);
        Connection.Register();
        if (Connection.ReceiveBufferBytes < receiveBuffer)
            Log.Warn($"receive buffer is {Connection.ReceiveBufferBytes} bytes, asked for {receiveBuffer}");
    }

    private readonly Lock _gate = new();

    /// <summary>The kernel's status now. Thread-safe: the watchdog, the stats line and status requests share the socket.</summary>
    public AuditStatus QueryStatus()
    {
        lock (_gate) return _control.GetStatus();
    }

    public IReadOnlyList<AuditRule> QueryRules()
    {
        lock (_gate) return _control.ListRules();
    }

    /// <summary>Backlog wake messages this session's status queries sent, and those that failed (<see cref="AuditControl.GetStatus"/>).</summary>
    public BacklogWakeCounts BacklogWakes => _control.WakeCounts;

    /// <summary>Deletes the rules we added (first step of stopping: no new events are produced for us).</summary>
    public void RemoveRules()
    {
        lock (_gate) RemoveRulesLocked();
    }

    private void RemoveRulesLocked()
    {
        if (_rulesRemoved) return;
        _rulesRemoved = true;
        for (int i = _added.Count - 1; i >= 0; i--)
        {
            try { _control.DeleteRule(_added[i]); }
            catch (AuditKernelException e) when (e.ErrnoName == "ENOENT") { }
            catch (Exception e) { Log.Error($"could not delete rule {_added[i]}: {e.Message}"); }
        }
        _ledger.Clear();
    }

    /// <summary>Gives up the daemon registration, from the control socket so no reader thread is disturbed.</summary>
    public void Unregister()
    {
        lock (_gate) UnregisterLocked();
    }

    private void UnregisterLocked()
    {
        if (_unregistered) return;
        _unregistered = true;
        try
        {
            if (_control.GetStatus().Pid == OwnPid) _control.SetPid(0);
        }
        catch (Exception e) { Log.Error($"could not unregister as audit daemon: {e.Message}"); }
    }

    private void RestoreSettings()
    {
        if (!_settingsChanged)
        {
            // Refused before changing anything (e.g. another daemon runs): an earlier crash's record stays.
            if (_ownsFoundLedger) _foundLedger.Clear();
            return;
        }
        _settingsChanged = false;
        void Try(string what, Action a)
        {
            try { a(); }
            catch (Exception e) { Log.Error($"could not restore {what}: {e.Message}"); }
        }
        var now = _control.GetStatus();
        if (now.RateLimit != Restore.RateLimit) Try("rate_limit", () => _control.SetRateLimit(Restore.RateLimit));
        if (now.BacklogWaitTime != Restore.BacklogWaitTime) Try("backlog_wait_time", () => _control.SetBacklogWaitTime(Restore.BacklogWaitTime));
        if (now.BacklogLimit != Restore.BacklogLimit) Try("backlog_limit", () => _control.SetBacklogLimit(Restore.BacklogLimit));
        if (now.Failure != Restore.Failure && Restore.Failure != 2) Try("failure", () => _control.SetFailure(Restore.Failure));
        if (now.Enabled != Restore.Enabled && Restore.Enabled != 2) Try("enabled", () => _control.SetEnabled(Restore.Enabled));
        _foundLedger.Clear();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            RemoveRulesLocked();
            UnregisterLocked();
            RestoreSettings();
            Connection?.Dispose();
            _control.Dispose();
        }
    }
}

public sealed class DaemonStartException(string message) : Exception(message);
