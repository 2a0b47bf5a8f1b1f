using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace FsAudit.Actors.Persistence;

/// <summary>A named subscriber as stored: its filter (as the JSON the server echoes) and its cumulative acknowledged offset.</summary>
public sealed record DurableSubscription(string Name, string FilterJson, long AckedOffset, DateTimeOffset Registered, DateTimeOffset? LastAck);

/// <summary>Register (or re-register) a named subscriber; answered with <see cref="DurableRegistered"/> once durable.</summary>
/// <param name="SetAcked">When set, the stored ack becomes this value (it may move back: an explicit <c>from</c>).</param>
internal sealed record RegisterDurable(string Name, string FilterJson, long? SetAcked = null);

/// <param name="Previous">The stored state before this registration (null for a new name).</param>
internal sealed record DurableRegistered(DurableSubscription? Previous);

/// <summary>Cumulative acknowledgement: every event up to <paramref name="Offset"/> was handled. Not answered.</summary>
internal sealed record AckDurable(string Name, long Offset);

/// <summary>Forget a named subscriber; answered with true when it existed.</summary>
internal sealed record ForgetDurable(string Name);

internal sealed class ListDurable
{
    public static readonly ListDurable Instance = new();
    private ListDurable() { }
}

/// <summary>Answered (with true) when every ack received before it is durable.</summary>
internal sealed class FlushDurable
{
    public static readonly FlushDurable Instance = new();
    private FlushDurable() { }
}

/// <summary>
/// Named subscribers' filters and acknowledged offsets (persistence id <see cref="Id"/>). Acks are cumulative and
/// frequent, so they are coalesced: while one write is in flight only the newest ack per name waits, and it is
/// written next. A crash can lose the last unwritten acks, which only means re-delivering that tail (at least once).
/// Payloads are small JSON documents as byte[] (no type names in storage).
/// </summary>
internal sealed class DurableSubscriptionsActor : ReceivePersistentActor
{
    public const string Id = "fsaudit-subscriptions";
    private const int SnapshotEvery = 1000;

    private readonly Dictionary<string, DurableSubscription> _subs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _pendingAcks = new(StringComparer.Ordinal);
    private readonly List<IActorRef> _flushWaiters = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _writingAcks;
    private int _sinceSnapshot;

    public override string PersistenceId => Id;

    public DurableSubscriptionsActor(string journalPluginId, string snapshotPluginId)
    {
        JournalPluginId = journalPluginId;
        SnapshotPluginId = snapshotPluginId;

        Recover<SnapshotOffer>(s =>
        {
            if (s.Snapshot is not byte[] b) return;
            foreach (var sub in JsonSerializer.Deserialize<DurableSubscription[]>(b, Json) ?? []) _subs[sub.Name] = sub;
        });
        Recover<byte[]>(b => Apply(JsonSerializer.Deserialize<Change>(b, Json)!));

        Command<RegisterDurable>(r =>
        {
            _subs.TryGetValue(r.Name, out var previous);
            var change = new Change { Kind = "register", Name = r.Name, Filter = r.FilterJson, Offset = r.SetAcked ?? -1, At = DateTimeOffset.UtcNow };
            _pendingAcks.Remove(r.Name); // acks of an earlier connection must not overtake the new position
            Persist(Encode(change), _ =>
            {
                Apply(change);
                Sender.Tell(new DurableRegistered(previous));
                MaybeSnapshot();
            });
        });
        Command<AckDurable>(a =>
        {
            if (!_subs.TryGetValue(a.Name, out var s) || a.Offset <= s.AckedOffset) return;
            if (_pendingAcks.TryGetValue(a.Name, out var pending) && pending >= a.Offset) return;
            _pendingAcks[a.Name] = a.Offset;
            if (!_writingAcks) WriteAcks();
        });
        Command<ForgetDurable>(f =>
        {
            if (!_subs.ContainsKey(f.Name))
            {
                Sender.Tell(false);
                return;
            }
            var change = new Change { Kind = "forget", Name = f.Name, At = DateTimeOffset.UtcNow };
            Persist(Encode(change), _ =>
            {
                Apply(change);
                _pendingAcks.Remove(f.Name);
                Sender.Tell(true);
            });
        });
        Command<ListDurable>(_ => Sender.Tell(_subs.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList()));
        Command<FlushDurable>(_ =>
        {
            if (!_writingAcks && _pendingAcks.Count == 0) Sender.Tell(true);
            else _flushWaiters.Add(Sender);
        });
        Command<SaveSnapshotSuccess>(s => DeleteMessages(s.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(f => _log.Warning("subscription store snapshot failed: {0}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(d => DeleteSnapshots(new SnapshotSelectionCriteria(d.ToSequenceNr - 1)));
        Command<DeleteMessagesFailure>(f => _log.Warning("subscription store cleanup failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    private void WriteAcks()
    {
        var changes = _pendingAcks.Select(kv => new Change { Kind = "ack", Name = kv.Key, Offset = kv.Value, At = DateTimeOffset.UtcNow }).ToList();
        _pendingAcks.Clear();
        _writingAcks = true;
        int left = changes.Count;
        PersistAllAsync(changes.Select(Encode), b =>
        {
            Apply(JsonSerializer.Deserialize<Change>(b, Json)!);
            MaybeSnapshot();
            if (--left > 0) return;
            _writingAcks = false;
            if (_pendingAcks.Count > 0) WriteAcks();
            else
            {
                foreach (var w in _flushWaiters) w.Tell(true);
                _flushWaiters.Clear();
            }
        });
    }

    private void Apply(Change c)
    {
        switch (c.Kind)
        {
            case "register":
                _subs[c.Name] = _subs.TryGetValue(c.Name, out var old)
                    ? old with { FilterJson = c.Filter ?? old.FilterJson, AckedOffset = c.Offset >= 0 ? c.Offset : old.AckedOffset }
                    : new DurableSubscription(c.Name, c.Filter ?? "{}", Math.Max(0, c.Offset), c.At, null);
                break;
            case "ack":
                if (_subs.TryGetValue(c.Name, out var s) && c.Offset > s.AckedOffset)
                    _subs[c.Name] = s with { AckedOffset = c.Offset, LastAck = c.At };
                break;
            case "forget":
                _subs.Remove(c.Name);
                break;
        }
    }

    private void MaybeSnapshot()
    {
        if (++_sinceSnapshot < SnapshotEvery) return;
        _sinceSnapshot = 0;
        SaveSnapshot(JsonSerializer.SerializeToUtf8Bytes(_subs.Values.ToArray(), Json));
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        _log.Error(cause, "subscription store write failed (restarting it): {0}", cause.Message);

    private static byte[] Encode(Change c) => JsonSerializer.SerializeToUtf8Bytes(c, Json);

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private sealed class Change
    {
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Filter { get; set; }
        public long Offset { get; set; }
        public DateTimeOffset At { get; set; }
    }

    public static Props Props() =>
        Akka.Actor.Props.Create(() => new DurableSubscriptionsActor(JournalBootstrap.JournalPluginId, JournalBootstrap.SnapshotPluginId));
}
