using System.Collections.Concurrent;
using FsAudit.Actors.Correlation;
using FsAudit.Engine.Records;

namespace FsAudit.Tests.Actors;

internal sealed record TestEvent(uint Serial, int AssemblerId, IReadOnlyList<AuditRecord> Records, bool Complete);

/// <summary>Shared observations of all assemblers of one pipeline.</summary>
internal sealed class AssemblerLog
{
    private int _nextId;
    public ConcurrentDictionary<uint, int> SerialOwner { get; } = new();
    public ConcurrentQueue<string> Conflicts { get; } = new();
    /// <summary>Per assembler, the serials in the order their EOE arrived.</summary>
    public ConcurrentDictionary<int, ConcurrentQueue<uint>> EoeOrder { get; } = new();
    public int NextId() => Interlocked.Increment(ref _nextId);
}

/// <summary>
/// A minimal correlator: groups records by serial, completes on EOE (1320), on timeout (incomplete)
/// or at flush (incomplete). Records which assembler saw each serial to check routing.
/// </summary>
internal sealed class EoeAssembler : IEventAssembler<TestEvent>
{
    private readonly AssemblerLog _log;
    private readonly long _timeoutMs;
    private readonly Func<AuditRecord, bool>? _throwOn;
    private readonly Dictionary<uint, (List<AuditRecord> Records, long LastMs)> _open = new();
    private readonly int _id;

    public EoeAssembler(AssemblerLog log, long timeoutMs, Func<AuditRecord, bool>? throwOn = null)
    {
        _log = log;
        _timeoutMs = timeoutMs;
        _throwOn = throwOn;
        _id = log.NextId();
    }

    public int InFlight => _open.Count;

    public void Add(AuditRecord record, long nowMs, ICollection<TestEvent> completed)
    {
        if (_throwOn?.Invoke(record) == true) throw new FormatException("bad record " + record.Serial);
        int owner = _log.SerialOwner.GetOrAdd(record.Serial, _id);
        if (owner != _id) _log.Conflicts.Enqueue($"serial {record.Serial} seen by {owner} and {_id}");
        if (!_open.TryGetValue(record.Serial, out var e)) e = (new List<AuditRecord>(), nowMs);
        e.Records.Add(record);
        _open[record.Serial] = (e.Records, nowMs);
        if (record.Type == 1320)
        {
            _open.Remove(record.Serial);
            _log.EoeOrder.GetOrAdd(_id, _ => new()).Enqueue(record.Serial);
            completed.Add(new TestEvent(record.Serial, _id, e.Records, Complete: true));
        }
    }

    public void Expire(long nowMs, ICollection<TestEvent> completed)
    {
        foreach (var (serial, e) in _open.Where(kv => nowMs - kv.Value.LastMs >= _timeoutMs).OrderBy(kv => kv.Key).ToList())
        {
            _open.Remove(serial);
            completed.Add(new TestEvent(serial, _id, e.Records, Complete: false));
        }
    }

    public void Flush(ICollection<TestEvent> completed) => Expire(long.MaxValue, completed);
}
