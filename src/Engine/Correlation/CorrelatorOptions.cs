namespace FsAudit.Engine.Correlation;

public enum CorrelationMode
{
    /// <summary>Records straight from the kernel: multi-record events end with an EOE record.</summary>
    Netlink,

    /// <summary>auditd log files: no EOE is written, an event ends when newer serials have moved on.</summary>
    Log,
}

public sealed class CorrelatorOptions
{
    /// <summary>An event still open this long after its first record is emitted anyway.</summary>
    public long TimeoutMs { get; init; } = 5_000;

    /// <summary>Cap on open events; beyond it the oldest is emitted flagged incomplete.</summary>
    public int MaxInFlight { get; init; } = 16_384;

    public CorrelationMode Mode { get; init; } = CorrelationMode.Netlink;

    /// <summary>
    /// Count gaps in the serial sequence. Off when serials are routed to several correlators (each sees
    /// only its share): track gaps before routing with a <see cref="SerialGapTracker"/> instead.
    /// </summary>
    public bool TrackGaps { get; init; } = true;

    /// <summary>
    /// Log mode: an event is complete once a newer serial was seen and this many records arrived since
    /// its own last record. Covers records of concurrent events interleaved in the log.
    /// </summary>
    public int LogSlackRecords { get; init; } = 64;

    /// <summary>Window within which out-of-order serials are still recognised (gap tracking).</summary>
    public int GapWindow { get; init; } = SerialGapTracker.DefaultWindow;

    internal void Validate()
    {
        if (TimeoutMs <= 0) throw new ArgumentOutOfRangeException(nameof(TimeoutMs), TimeoutMs, "must be > 0");
        if (MaxInFlight <= 0) throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, "must be > 0");
        if (LogSlackRecords < 0) throw new ArgumentOutOfRangeException(nameof(LogSlackRecords), LogSlackRecords, "must be >= 0");
    }
}
