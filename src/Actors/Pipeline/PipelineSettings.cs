namespace FsAudit.Actors.Pipeline;

/// <summary>Everything the pipeline needs to know; the Host maps the <c>fsaudit</c> HOCON section onto it.</summary>
public sealed record PipelineSettings
{
    /// <summary>Records held in memory between the reader thread and the stream; beyond this they spill to disk.</summary>
    public int BufferRecords { get; init; } = 262_144;

    /// <summary>Optional second bound on the in-memory buffer, in (estimated managed) bytes; 0 = records only.</summary>
    public long BufferBytes { get; init; }

    /// <summary>Directory for spill files. Files left there by a previous run are replayed first.</summary>
    public required string SpillDirectory { get; init; }

    /// <summary>A spill file is closed and a new one started beyond this size; consumed files are deleted.</summary>
    public long SpillSegmentBytes { get; init; } = 64L << 20;

    /// <summary>Most records in one <see cref="RecordBatch"/>.</summary>
    public int MaxBatchRecords { get; init; } = 4096;

    /// <summary>How long one <see cref="IRecordReader.Read"/> waits; bounds how fast a stop is noticed.</summary>
    public int ReadPollMs { get; init; } = 100;

    /// <summary>
    /// After a read that returned less than <see cref="MaxBatchRecords"/> records, the reader thread sleeps this
    /// long so the next read drains many records at once: far fewer thread wake-ups and pipeline rounds per event
    /// for a few ms of latency. The kernel queues into the socket meanwhile: the socket's receive buffer must
    /// hold this long at the peak record rate (at 250k records/s, 5 ms ≈ 1,250 records ≈ 2 MiB of skbs). 0 = off.
    /// </summary>
    public int ReadCoalesceMs { get; init; } = 5;

    /// <summary>
    /// Nice value of the reader thread alone (Linux nice is per thread), -20..19; 0 = leave it. Negative needs
    /// CAP_SYS_NICE; a failure is reported in <see cref="PipelineMetrics.ReaderNiceError"/>, never fatal.
    /// auditd boosts its whole process by 4 (priority_boost).
    /// </summary>
    public int ReaderNice { get; init; } = -4;

    /// <summary>An event whose EOE never arrives is completed (incomplete) after this long.</summary>
    public TimeSpan CorrelationTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Events assembling at once, per correlator actor; beyond it the oldest is completed early.</summary>
    public int MaxInFlight { get; init; } = 65_536;

    /// <summary>How often each correlator completes timed-out events (and the stream collects them when idle).</summary>
    public TimeSpan ExpireInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Record batches handed to the correlators and not yet answered (memory bound of the join).</summary>
    public int MaxBatchesInFlight { get; init; } = 4;

    /// <summary>A correlator that does not answer within this fails the stream (loudly) instead of hanging it.</summary>
    public TimeSpan CorrelatorAnswerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name of the correlator pool under /user; its router comes from <c>akka.actor.deployment./NAME</c>.</summary>
    public string CorrelatorsName { get; init; } = "correlators";

    public void Validate()
    {
        Check(BufferRecords >= 1, nameof(BufferRecords), "must be >= 1");
        Check(BufferBytes >= 0, nameof(BufferBytes), "must be >= 0");
        Check(!string.IsNullOrWhiteSpace(SpillDirectory), nameof(SpillDirectory), "is required");
        Check(SpillSegmentBytes >= 4096, nameof(SpillSegmentBytes), "must be >= 4096");
        Check(MaxBatchRecords >= 1, nameof(MaxBatchRecords), "must be >= 1");
        Check(ReadPollMs >= 1, nameof(ReadPollMs), "must be >= 1");
        Check(ReadCoalesceMs is >= 0 and <= 100, nameof(ReadCoalesceMs), "must be 0..100");
        Check(ReaderNice is >= -20 and <= 19, nameof(ReaderNice), "must be -20..19");
        Check(CorrelationTimeout > TimeSpan.Zero, nameof(CorrelationTimeout), "must be > 0");
        Check(MaxInFlight >= 1, nameof(MaxInFlight), "must be >= 1");
        Check(ExpireInterval > TimeSpan.Zero, nameof(ExpireInterval), "must be > 0");
        Check(MaxBatchesInFlight >= 1, nameof(MaxBatchesInFlight), "must be >= 1");
        Check(CorrelatorAnswerTimeout > TimeSpan.Zero, nameof(CorrelatorAnswerTimeout), "must be > 0");
        Check(!string.IsNullOrWhiteSpace(CorrelatorsName), nameof(CorrelatorsName), "is required");
    }

    private static void Check(bool ok, string name, string what)
    {
        if (!ok) throw new ArgumentException($"PipelineSettings.{name} {what}", name);
    }
}
