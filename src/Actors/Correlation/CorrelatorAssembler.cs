using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Correlation;

/// <summary>The engine's <see cref="Correlator"/> behind the actors' seam.</summary>
public sealed class CorrelatorAssembler : IEventAssembler<AuditEvent>
{
    private readonly Correlator _correlator;

    public CorrelatorAssembler(CorrelatorOptions options) => _correlator = new Correlator(options);

    public int InFlight => _correlator.InFlight;

    public AssemblerCounters Counters
    {
        get
        {
            var c = _correlator.Counters;
            return new AssemblerCounters(c.Incomplete, c.TimedOut, c.Evicted, c.LateRecords, c.BuildErrors);
        }
    }

    public void Add(AuditRecord record, long nowMs, ICollection<AuditEvent> completed) => _correlator.Add(record, nowMs, completed);

    public void Expire(long nowMs, ICollection<AuditEvent> completed) => _correlator.Expire(nowMs, completed);

    public void Flush(ICollection<AuditEvent> completed) => _correlator.Flush(completed);
}
