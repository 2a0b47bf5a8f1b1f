using Akka.Routing;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Correlation;

/// <summary>Consecutive records of one serial; the consistent-hashing router keys on the serial.</summary>
public sealed class CorrelateRecords : IConsistentHashable
{
    public CorrelateRecords(uint serial, AuditRecord[] records)
    {
        Serial = serial;
        Records = records;
    }

    public uint Serial { get; }
    public AuditRecord[] Records { get; }
    public object ConsistentHashKey => Serial;
}

/// <summary>
/// One collect round for one correlator, sent straight to it (not through the router): its share of a batch's
/// records (every serial always goes to the same correlator), then "answer with what you completed so far".
/// One message per correlator per batch instead of one per serial run plus a broadcast: each message costs a
/// mailbox schedule and often a thread wake-up, which dominated the per-event cost.
/// <paramref name="Flush"/> also completes everything still assembling (shutdown).
/// </summary>
public sealed record CorrelateBatch(long Sequence, IReadOnlyList<AuditRecord> Records, bool Flush);

/// <summary>
/// Broadcast to every correlator after a batch's records: "answer with what you completed so far".
/// <paramref name="Flush"/> also completes everything still assembling (shutdown).
/// </summary>
public sealed record CollectEvents(long Sequence, bool Flush);

/// <summary>One correlator's reply to <see cref="CollectEvents"/>: its completed events in completion order.</summary>
public sealed record CorrelatorAnswer<TEvent>(long Sequence, IReadOnlyList<TEvent> Events, int InFlight, long Failures, AssemblerCounters Counters);
