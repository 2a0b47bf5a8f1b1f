using FsAudit.Engine.Records;

namespace FsAudit.Actors.Correlation;

/// <summary>
/// What a correlator actor drives: records in, completed events out. The engine's Correlator is the
/// real one; the seam keeps the actors independent of the event model and testable with fakes.
/// One instance per actor, used from that actor only.
/// </summary>
public interface IEventAssembler<TEvent>
{
    void Add(AuditRecord record, long nowMs, ICollection<TEvent> completed);

    /// <summary>Completes events whose last record is older than the timeout.</summary>
    void Expire(long nowMs, ICollection<TEvent> completed);

    /// <summary>Completes every event still assembling (shutdown).</summary>
    void Flush(ICollection<TEvent> completed);

    int InFlight { get; }

    /// <summary>Cumulative outcome counters, summed over the pool for metrics.</summary>
    AssemblerCounters Counters => default;
}

/// <summary>How events were completed (cumulative, one assembler).</summary>
public readonly record struct AssemblerCounters(long Incomplete, long TimedOut, long Evicted, long LateRecords, long BuildErrors)
{
    public static AssemblerCounters operator +(AssemblerCounters a, AssemblerCounters b) => new(
        a.Incomplete + b.Incomplete, a.TimedOut + b.TimedOut, a.Evicted + b.Evicted,
        a.LateRecords + b.LateRecords, a.BuildErrors + b.BuildErrors);
}
