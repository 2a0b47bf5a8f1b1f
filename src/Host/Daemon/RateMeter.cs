using System.Diagnostics;

namespace FsAudit.Host.Daemon;

/// <summary>Rates between two samples of monotonic counters.</summary>
public sealed class RateMeter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private double _lastSeconds;
    private long _lastRecords, _lastEvents;

    public (double RecordsPerSecond, double EventsPerSecond) Sample(long records, long events)
    {
        lock (_gate)
        {
            double now = _clock.Elapsed.TotalSeconds, dt = now - _lastSeconds;
            var rates = dt <= 0 ? (0d, 0d) : ((records - _lastRecords) / dt, (events - _lastEvents) / dt);
            (_lastSeconds, _lastRecords, _lastEvents) = (now, records, events);
            return rates;
        }
    }
}
