using Akka.Streams;
using Akka.Streams.Stage;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// Cuts the pipeline's event batches into journal writes. Every write costs the persistence plugin a fixed ~0.5 ms
/// of CPU and a few thread hand-offs (PipelineBench's write stage), and every event waits in memory until its write is
/// done, so:
/// <list type="bullet">
/// <item>when the journal is waiting for work (downstream has asked), a pipeline batch goes out as one write, whole,
/// up to <c>maxEvents</c> / <c>maxBytes</c> — under steady load one write per pipeline batch;</item>
/// <item>while a write is in progress, batches wait here until about <c>catchUpEvents</c> wait (then upstream is
/// held back), and all that waited leaves as the next write, up to <c>maxEvents</c>: the longer writes take, the
/// larger the next one, and a write is never split into a large and a small one.</item>
/// </list>
/// At most <c>catchUpEvents</c> plus one pipeline batch wait here; order is kept; nothing is dropped.
/// </summary>
public sealed class JournalBatcher : GraphStage<FlowShape<IReadOnlyList<AuditEvent>, IReadOnlyList<AuditEvent>>>
{
    private readonly int _maxEvents, _catchUpEvents;
    private readonly long _maxBytes;

    public JournalBatcher(int maxEvents, int catchUpEvents, long maxBytes)
    {
        if (maxEvents < 1) throw new ArgumentOutOfRangeException(nameof(maxEvents));
        if (catchUpEvents < 1 || catchUpEvents > maxEvents) throw new ArgumentOutOfRangeException(nameof(catchUpEvents));
        if (maxBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxBytes));
        _maxEvents = maxEvents;
        _catchUpEvents = catchUpEvents;
        _maxBytes = maxBytes;
        Shape = new FlowShape<IReadOnlyList<AuditEvent>, IReadOnlyList<AuditEvent>>(In, Out);
    }

    public Inlet<IReadOnlyList<AuditEvent>> In { get; } = new("JournalBatcher.in");
    public Outlet<IReadOnlyList<AuditEvent>> Out { get; } = new("JournalBatcher.out");
    public override FlowShape<IReadOnlyList<AuditEvent>, IReadOnlyList<AuditEvent>> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <summary>What one event weighs against <c>maxBytes</c>: its record text plus a per-record allowance.</summary>
    internal static long TextBytes(AuditEvent e)
    {
        long n = 0;
        var records = e.Records;
        for (int k = 0; k < records.Count; k++) n += records[k].Utf8.Length + 16;
        return n;
    }

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly JournalBatcher _stage;
        private readonly Queue<AuditEvent> _waiting = new(); // events not yet written, in order

        public Logic(JournalBatcher stage) : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        private int Waiting => _waiting.Count;

        // Take a batch before the journal asks: batches that arrive while it is busy wait here (see PullIfRoom).
        public override void PreStart() => Pull(_stage.In);

        public override void OnPush()
        {
            var batch = Grab(_stage.In);
            if (batch.Count > 0)
            {
                if (Waiting == 0 && IsAvailable(_stage.Out) && Fits(batch))
                    Push(_stage.Out, batch); // the journal is waiting: this batch is the next write, as it is
                else
                {
                    for (int i = 0; i < batch.Count; i++) _waiting.Enqueue(batch[i]);
                    // Waiting while downstream asked: this batch was too big to go whole; cut it at maxEvents.
                    if (IsAvailable(_stage.Out)) Push(_stage.Out, Take(_stage._maxEvents));
                }
            }
            PullIfRoom();
        }

        public override void OnUpstreamFinish()
        {
            if (Waiting == 0) CompleteStage();
        }

        public override void OnPull()
        {
            if (Waiting > 0)
            {
                // Batches that arrived during the last write: together, as the next one.
                Push(_stage.Out, Take(_stage._maxEvents));
                if (Waiting == 0 && IsClosed(_stage.In))
                {
                    CompleteStage();
                    return;
                }
            }
            PullIfRoom();
        }

        /// <summary>Asks for the next pipeline batch unless a write's worth already waits.</summary>
        private void PullIfRoom()
        {
            if (Waiting < _stage._catchUpEvents && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In)) Pull(_stage.In);
        }

        private bool Fits(IReadOnlyList<AuditEvent> batch)
        {
            if (batch.Count > _stage._maxEvents) return false;
            long bytes = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                bytes += TextBytes(batch[i]);
                if (bytes > _stage._maxBytes) return false;
            }
            return true;
        }

        /// <summary>The next write from the waiting events: up to <paramref name="events"/> and maxBytes, at least one.</summary>
        private List<AuditEvent> Take(int events)
        {
            var write = new List<AuditEvent>(Math.Min(events, Waiting));
            long bytes = 0;
            while (write.Count < events && _waiting.TryPeek(out var next))
            {
                long b = TextBytes(next);
                if (write.Count > 0 && bytes + b > _stage._maxBytes) break;
                bytes += b;
                write.Add(_waiting.Dequeue());
            }
            return write;
        }
    }
}
