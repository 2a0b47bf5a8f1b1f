namespace FsAudit.Actors.Pipeline;

/// <summary>
/// The pipeline's counters at one instant, immutable; take one from any thread at any time. Counts
/// are since start unless they say "now".
/// </summary>
public sealed record PipelineMetrics
{
    // Reader
    public long RecordsRead { get; init; }
    public long ReadCalls { get; init; }
    public long ReaderMessages { get; init; }
    /// <summary>Payloads the reader could not parse (skipped, counted).</summary>
    public long Unparsable { get; init; }
    /// <summary>Times the source reported lost input (e.g. ENOBUFS).</summary>
    public long ReaderOverruns { get; init; }
    /// <summary>
    /// The longest time the reader thread spent between two reads of the socket (milliseconds, since start): its
    /// coalescing sleep at least; much longer means it waited for a core, the GC or the spill disk, and if that outlasted
    /// what the socket's receive buffer holds, <see cref="ReaderOverruns"/> counts the loss.
    /// </summary>
    public double ReaderLongestGapMs { get; init; }
    /// <summary>Records of backlog wake messages received (sent by status queries around a kernel backlog overflow; kept as USER events).</summary>
    public long BacklogWakeRecords { get; init; }
    /// <summary>Why the reader stopped, when it failed.</summary>
    public string? ReaderFailure { get; init; }
    /// <summary>The reader thread's nice value (null before it runs or when unreadable).</summary>
    public int? ReaderNice { get; init; }
    /// <summary>Why the configured reader nice value could not be applied (the reader runs at the inherited one).</summary>
    public string? ReaderNiceError { get; init; }

    // Buffer and spill
    public long Batches { get; init; }
    public long RecordsEmitted { get; init; }
    public int BufferedRecordsNow { get; init; }
    public int BufferedRecordsPeak { get; init; }
    public long BufferedBytesNow { get; init; }
    public long BufferedBytesPeak { get; init; }
    public long SpilledRecords { get; init; }
    public long SpilledBytes { get; init; }
    public long SpillBacklogRecordsNow { get; init; }
    public long SpillBacklogBytesNow { get; init; }
    public int SpillFilesNow { get; init; }
    /// <summary>Records replayed from spill files a previous run left.</summary>
    public long SpillRecoveredRecords { get; init; }
    /// <summary>Spill files that ended in a torn record (crash while writing).</summary>
    public long SpillTornTails { get; init; }
    public long SpillWriteFailures { get; init; }
    /// <summary>Records lost because they could neither be buffered nor spilled (disk full). Should stay 0.</summary>
    public long DroppedRecords { get; init; }
    public string? LastSpillError { get; init; }

    // Correlation
    public long CorrelatedRecords { get; init; }
    public long Events { get; init; }
    public int EventsInFlightNow { get; init; }
    /// <summary>Exceptions thrown by a correlator (counted, the record skipped). Should stay 0.</summary>
    public long CorrelatorFailures { get; init; }
    /// <summary>Events emitted flagged incomplete (timed out, evicted or flushed before their EOE).</summary>
    public long IncompleteEvents { get; init; }
    public long TimedOutEvents { get; init; }
    /// <summary>Events emitted early because a correlator reached its in-flight cap.</summary>
    public long EvictedEvents { get; init; }
    /// <summary>Records whose event had already been emitted.</summary>
    public long LateRecords { get; init; }
    public long EventBuildErrors { get; init; }
    /// <summary>Serials that never arrived (kernel-side loss), tracked once before routing.</summary>
    public long PossiblyLostSerials { get; init; }

    // Registration
    public long RegistrationChecks { get; init; }
    public long RegistrationLosses { get; init; }
    public long ReRegistrations { get; init; }
}
