using System.Buffers.Binary;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace FsAudit.Actors.Persistence;

/// <summary>Persist one encoded batch; answered with <see cref="Appended"/> once it is durable.</summary>
internal sealed record AppendBatch(byte[] Payload, int Count);

/// <param name="FirstOffset">Offset given to the batch's first event.</param>
/// <param name="SequenceNr">The journal row (Akka sequence number) holding the batch.</param>
public sealed record Appended(long FirstOffset, int Count, long SequenceNr);

/// <summary>Delete journal rows up to and including <paramref name="SequenceNr"/>; answered with <see cref="Pruned"/> or a failure.</summary>
internal sealed record PruneThrough(long SequenceNr);

internal sealed record Pruned(long SequenceNr);

internal sealed class GetWriterState
{
    public static readonly GetWriterState Instance = new();
    private GetWriterState() { }
}

/// <param name="NextOffset">Offset the next written event gets (1 for an empty journal).</param>
internal sealed record WriterState(long NextOffset, long LastSequenceNr);

/// <summary>
/// The single writer of the event journal (persistence id <see cref="PersistenceId"/>): one journal event per batch,
/// its payload the batch encoded by <see cref="EventBatchCodec"/>. It assigns the global gap-free offsets: the batch
/// header carries its first offset, patched in here, in write order. Its only state is the next offset, snapshotted
/// every <c>snapshotEvery</c> writes so recovery after a crash reads at most that many rows (headers only).
/// A failed write stops this actor (Akka.Persistence's rule); <see cref="JournalWriter"/> starts a new one.
/// </summary>
internal sealed class EventJournalActor : ReceivePersistentActor
{
    public const string Id = "fsaudit-events";

    private readonly int _snapshotEvery;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _nextOffset = 1;
    private int _sinceSnapshot;
    private IActorRef? _pruneRequester;
    private long _pruneTarget;

    public override string PersistenceId => Id;

    private readonly Action<Exception> _onFailure;

    public EventJournalActor(int snapshotEvery, string journalPluginId, string snapshotPluginId, Action<Exception> onFailure)
    {
        _snapshotEvery = snapshotEvery;
        _onFailure = onFailure;
        JournalPluginId = journalPluginId;
        SnapshotPluginId = snapshotPluginId;

        Recover<SnapshotOffer>(s =>
        {
            if (s.Snapshot is byte[] b && b.Length >= 8) _nextOffset = BinaryPrimitives.ReadInt64LittleEndian(b);
        });
        Recover<byte[]>(payload =>
        {
            var h = EventBatchCodec.ReadHeader(payload);
            _nextOffset = h.FirstOffset + h.Count;
        });

        Command<AppendBatch>(a =>
        {
            long first = _nextOffset;
            EventBatchCodec.SetFirstOffset(a.Payload, first);
            Persist(a.Payload, _ =>
            {
                _nextOffset = first + a.Count;
                Sender.Tell(new Appended(first, a.Count, LastSequenceNr));
                if (++_sinceSnapshot >= _snapshotEvery)
                {
                    _sinceSnapshot = 0;
                    SaveSnapshot(State());
                }
            });
        });
        Command<GetWriterState>(_ => Sender.Tell(new WriterState(_nextOffset, LastSequenceNr)));
        Command<PruneThrough>(p =>
        {
            // The newest row must stay: it is where recovery learns the next offset when no snapshot is newer.
            long to = Math.Min(p.SequenceNr, LastSequenceNr - 1);
            if (to < 1)
            {
                Sender.Tell(new Pruned(0));
                return;
            }
            _pruneRequester = Sender;
            _pruneTarget = to;
            // A snapshot first, so recovery never depends on a deleted row.
            SaveSnapshot(State());
            DeleteMessages(to);
        });
        Command<DeleteMessagesSuccess>(d =>
        {
            _pruneRequester?.Tell(new Pruned(d.ToSequenceNr));
            _pruneRequester = null;
        });
        Command<DeleteMessagesFailure>(f =>
        {
            _log.Warning("pruning the journal through row {0} failed: {1}", _pruneTarget, f.Cause.Message);
            _pruneRequester?.Tell(new Status.Failure(f.Cause));
            _pruneRequester = null;
        });
        Command<SaveSnapshotSuccess>(s =>
            // Older snapshots are superseded; the journal keeps its rows (retention decides about those).
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("journal writer snapshot failed (recovery will read more rows): {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("deleting old journal writer snapshots failed: {0}", f.Cause.Message));
    }

    private byte[] State()
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, _nextOffset);
        return b;
    }

    /// <summary>
    /// A snapshot at once after recovery: the snapshot store's queries (insert-or-replace, delete) are built and
    /// compiled by linq2db at their first use: in a trace of the bench that compiling spanned ~0.4 s of the first seconds
    /// under load, while the pipeline stalled. It also bounds the next recovery from here on.
    /// </summary>
    protected override void OnReplaySuccess()
    {
        base.OnReplaySuccess();
        SaveSnapshot(State());
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "journal rejected batch row {0}: {1}", sequenceNr, cause.Message);
        Sender.Tell(new Status.Failure(cause));
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka.Persistence stops this actor after this call; the writer notices and retries with a new one.
        _log.Warning("journal write of row {0} failed: {1}", sequenceNr, cause.Message);
        _onFailure(cause);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "journal recovery failed: {0}", reason.Message);
        _onFailure(reason);
    }

    public static Props Props(int snapshotEvery, Action<Exception> onFailure) =>
        Akka.Actor.Props.Create(() => new EventJournalActor(snapshotEvery, JournalBootstrap.JournalPluginId, JournalBootstrap.SnapshotPluginId, onFailure));
}
