namespace FsAudit.Engine.Correlation;

/// <summary>A snapshot of a correlator's counters (all monotonic).</summary>
/// <param name="Records">Records added.</param>
/// <param name="Completed">Events emitted, whatever the reason.</param>
/// <param name="Incomplete">Events emitted flagged incomplete because they timed out or were flushed before their end.</param>
/// <param name="TimedOut">Events emitted by <see cref="Correlator.Expire"/> (flagged or not, see mode).</param>
/// <param name="Evicted">Events emitted early (flagged incomplete) because <see cref="CorrelatorOptions.MaxInFlight"/> was reached.</param>
/// <param name="PossiblyLostSerials">Serials never seen between seen ones (see <see cref="SerialGapTracker"/>).</param>
/// <param name="LateRecords">Records that came after their event was emitted: an EOE with no open event (not emitted:
/// it carries nothing), or in Log mode a record older than the last emitted serial (still emitted, as its own event).</param>
/// <param name="BuildErrors">Events whose interpretation failed unexpectedly and were emitted with raw records only.</param>
public readonly record struct CorrelatorCounters(
    long Records,
    long Completed,
    long Incomplete,
    long TimedOut,
    long Evicted,
    long PossiblyLostSerials,
    long LateRecords,
    long BuildErrors);
