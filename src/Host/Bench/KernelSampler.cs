using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Bench;

/// <summary>Reads the kernel's audit status about every 100 ms while the load runs: the peak backlog and the latest status.</summary>
public sealed class KernelSampler : IAsyncDisposable
{
    private readonly IAuditKernel _kernel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private uint _peakBacklog;
    private AuditStatus _latest;

    public KernelSampler(IAuditKernel kernel, TimeSpan interval)
    {
        _kernel = kernel;
        _latest = kernel.GetStatus();
        _peakBacklog = _latest.Backlog;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token)) Sample();
            }
            catch (OperationCanceledException) { }
        });
    }

    public uint PeakBacklog => Volatile.Read(ref _peakBacklog);
    public AuditStatus Latest { get { lock (_stop) return _latest; } }
    /// <summary>Status reads that failed (the sample is skipped).</summary>
    public int Failures { get; private set; }

    /// <summary>Takes one sample now (also used for the last one, so a short run is not missed).</summary>
    public AuditStatus Sample()
    {
        try
        {
            var s = _kernel.GetStatus();
            lock (_stop)
            {
                _latest = s;
                if (s.Backlog > _peakBacklog) _peakBacklog = s.Backlog;
            }
            return s;
        }
        catch (Exception e) when (e is AuditKernelException or AuditTimeoutException or NetlinkSocketException)
        {
            Failures++;
            return Latest;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}
