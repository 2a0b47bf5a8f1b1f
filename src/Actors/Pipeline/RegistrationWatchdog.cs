namespace FsAudit.Actors.Pipeline;

/// <summary>The control calls the watchdog needs; the Host implements them over the audit control socket.</summary>
public interface IRegistrationControl
{
    /// <summary>The pid the kernel should report as its audit daemon (ours).</summary>
    int ExpectedPid { get; }

    /// <summary>The daemon pid the kernel reports now (AUDIT_GET status.pid; 0 = none).</summary>
    int QueryRegisteredPid();

    /// <summary>Registers us as the audit daemon again (AUDIT_SET pid).</summary>
    void Register();
}

/// <summary>Raised when the kernel no longer has us registered (it deregisters a daemon whose socket stayed full).</summary>
/// <param name="ObservedPid">The pid the kernel reported instead of ours (0 = no daemon).</param>
/// <param name="ReRegistered">Whether registering again succeeded.</param>
/// <param name="Error">Why registering again failed, when it did.</param>
public sealed record RegistrationLost(int ObservedPid, int ExpectedPid, bool ReRegistered, string? Error);

/// <summary>
/// Checks the kernel's daemon registration periodically and re-registers when it was dropped. Losing
/// the registration means records were lost uncounted, so every occurrence raises <see cref="Lost"/>
/// (the Host logs it loudly) and is counted. Runs on a timer, never on the reader thread.
/// </summary>
public sealed class RegistrationWatchdog : IDisposable
{
    private readonly IRegistrationControl _control;
    private readonly Timer _timer;
    private int _checking;
    private volatile bool _disposed;
    private long _checks, _losses, _reRegistrations, _checkFailures;

    public RegistrationWatchdog(IRegistrationControl control, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval));
        _control = control;
        _timer = new Timer(_ => OnTimer(), null, interval, interval);
    }

    /// <summary>Raised on the timer thread for every detected loss, after the re-registration attempt.</summary>
    public event Action<RegistrationLost>? Lost;

    /// <summary>Raised when querying the status failed (the check is retried next interval).</summary>
    public event Action<Exception>? CheckFailed;

    public RegistrationCounters Counters => new(
        Interlocked.Read(ref _checks), Interlocked.Read(ref _losses),
        Interlocked.Read(ref _reRegistrations), Interlocked.Read(ref _checkFailures));

    /// <summary>
    /// One check; also called by the timer. Overlapping calls are skipped, and so is every call after
    /// <see cref="Dispose"/>. Returns the loss found, if any.
    /// </summary>
    public RegistrationLost? CheckNow()
    {
        if (Interlocked.Exchange(ref _checking, 1) == 1) return null;
        try
        {
            if (_disposed) return null;
            int observed;
            try
            {
                observed = _control.QueryRegisteredPid();
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _checkFailures);
                CheckFailed?.Invoke(e);
                return null;
            }
            Interlocked.Increment(ref _checks);
            if (observed == _control.ExpectedPid) return null;

            Interlocked.Increment(ref _losses);
            string? error = null;
            try
            {
                _control.Register();
                Interlocked.Increment(ref _reRegistrations);
            }
            catch (Exception e)
            {
                error = e.Message;
            }
            var lost = new RegistrationLost(observed, _control.ExpectedPid, error is null, error);
            Lost?.Invoke(lost);
            return lost;
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    private void OnTimer()
    {
        // An exception escaping a timer callback would take the process down; a throwing handler is counted instead.
        try { CheckNow(); }
        catch (Exception) { Interlocked.Increment(ref _checkFailures); }
    }

    /// <summary>
    /// Stops checking and returns once a check in progress has finished, so the caller may unregister next:
    /// a check running meanwhile would see no daemon registered and register us again.
    /// </summary>
    public void Dispose()
    {
        _disposed = true; // a check that starts from now on returns at once
        _timer.Dispose();
        // A check already past that test (the timer's or a direct call) finishes first. Bounded, in case Dispose is
        // called from a Lost handler, inside the check itself.
        long deadline = Environment.TickCount64 + 10_000;
        while (Volatile.Read(ref _checking) == 1 && Environment.TickCount64 < deadline) Thread.Sleep(1);
    }
}

public readonly record struct RegistrationCounters(long Checks, long Losses, long ReRegistrations, long CheckFailures);
