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
/// Broadcast to every correlator after a batch's records: "answer with what you completed so far".
/// <paramref name="Flush"/> also completes everything still assembling (shutdown).
/// </summary>
public sealed record CollectEvents(long Sequence, bool Flush);

/// <summary>One correlator's reply to <see cref="CollectEvents"/>: its completed events in completion order.</summary>
public sealed record CorrelatorAnswer<TEvent>(long Sequence, IReadOnlyList<TEvent> Events, int InFlight, long Failures, AssemblerCounters Counters);
