using Akka;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace FsAudit.Actors.Persistence;

/// <summary>One journal row: its Akka sequence number and the batch header it holds.</summary>
public readonly record struct JournalRow(long SequenceNr, BatchHeader Header);

/// <param name="Oldest">The first row still stored (null when the journal is empty).</param>
/// <param name="HighestSequenceNr">The newest row's sequence number (0 when nothing was ever written).</param>
public sealed record JournalBounds(JournalRow? Oldest, JournalRow? Newest, long HighestSequenceNr)
{
    public long? OldestOffset => Oldest?.Header.FirstOffset;
    public long? NewestOffset => Newest is { } n && n.Header.Count > 0 ? n.Header.LastOffset : null;
    /// <summary>The offset the next written event will get.</summary>
    public long NextOffset => Newest is { } n ? n.Header.FirstOffset + n.Header.Count : 1;
}

/// <summary>
/// Reads the event journal through Akka.Persistence.Query (the read journal of the same plugin, so SQLite and
/// PostgreSQL alike). Offsets map to rows by binary search over batch headers, a handful of single-row queries;
/// reading then streams rows a page at a time, so memory stays bounded whatever the distance.
/// </summary>
public sealed class JournalReader
{
    private readonly ActorSystem _system;
    private readonly SqlReadJournal _query;
    private readonly IActorRef _journal;
    private readonly IMaterializer _materializer;

    public JournalReader(ActorSystem system)
    {
        _system = system;
        _query = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalBootstrap.QueryPluginId);
        _journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(JournalBootstrap.JournalPluginId);
        _materializer = system.Materializer();
    }

    internal IMaterializer Materializer => _materializer;

    /// <summary>The newest row's sequence number, from the journal plugin itself (no row is read).</summary>
    public async Task<long> HighestSequenceNrAsync()
    {
        var answer = await _journal.Ask<object>(
            (Func<IActorRef, object>)(replyTo => new ReplayMessages(0, long.MaxValue, 0, EventJournalActor.Id, replyTo)),
            TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
        return answer switch
        {
            RecoverySuccess s => s.HighestSequenceNr,
            ReplayMessagesFailure f => throw new IOException($"cannot read the journal: {f.Cause.Message}", f.Cause),
            _ => throw new IOException($"unexpected journal answer {answer.GetType().Name}"),
        };
    }

    /// <summary>The first stored row with a sequence number in [<paramref name="from"/>, <paramref name="to"/>], if any.</summary>
    public async Task<JournalRow?> FirstRowAsync(long from, long to)
    {
        if (from > to) return null;
        // A single-row range reads one row; a wider one reads at most one page (rows below the oldest are gone).
        var rows = await _query.CurrentEventsByPersistenceId(EventJournalActor.Id, from, to)
            .Take(1)
            .Select(ToRow)
            .RunWith(Sink.Seq<JournalRow>(), _materializer).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task<JournalBounds> BoundsAsync()
    {
        long highest = await HighestSequenceNrAsync().ConfigureAwait(false);
        if (highest == 0) return new JournalBounds(null, null, 0);
        var newest = await FirstRowAsync(highest, highest).ConfigureAwait(false);
        var oldest = await FirstRowAsync(1, highest).ConfigureAwait(false);
        return new JournalBounds(oldest, newest, highest);
    }

    /// <summary>
    /// The row to start reading at for events from <paramref name="offset"/>: the row holding it, or the first row
    /// after it when it is not stored (pruned rows: the caller compares with the row's first offset).
    /// Null when nothing at or after the offset is stored yet.
    /// </summary>
    public Task<JournalRow?> SeekOffsetAsync(long offset, JournalBounds bounds) =>
        SeekAsync(bounds, h => h.LastOffset >= offset);

    /// <summary>The first row holding an event at or after <paramref name="time"/> (event time, as batches are about time-ordered).</summary>
    public Task<JournalRow?> SeekTimeAsync(DateTimeOffset time, JournalBounds bounds)
    {
        long ms = time.ToUnixTimeMilliseconds();
        return SeekAsync(bounds, h => h.Count > 0 && h.MaxTimestampMs >= ms);
    }

    /// <summary>Binary search for the first row whose header satisfies the monotone <paramref name="atOrAfter"/>.</summary>
    private async Task<JournalRow?> SeekAsync(JournalBounds bounds, Func<BatchHeader, bool> atOrAfter)
    {
        if (bounds.Oldest is not { } oldest || bounds.Newest is not { } newest) return null;
        if (atOrAfter(oldest.Header)) return oldest;
        if (!atOrAfter(newest.Header)) return null;
        long lo = oldest.SequenceNr;            // a row that fails
        JournalRow found = newest;              // the earliest row known to satisfy
        long hiLimit = found.SequenceNr - 1;    // candidates are in (lo, hiLimit]
        while (lo < hiLimit)
        {
            long mid = lo + 1 + (hiLimit - lo - 1) / 2;
            var row = await FirstRowAsync(mid, hiLimit).ConfigureAwait(false);
            if (row is not { } r) { hiLimit = mid - 1; continue; }
            if (atOrAfter(r.Header)) { found = r; hiLimit = r.SequenceNr - 1; }
            else lo = r.SequenceNr;
        }
        return found;
    }

    /// <summary>Stored batches from row <paramref name="fromSequenceNr"/> through <paramref name="toSequenceNr"/>, as stored now.</summary>
    public Source<(long SequenceNr, StoredBatch Batch), NotUsed> CurrentBatches(long fromSequenceNr, long toSequenceNr) =>
        CurrentPayloads(fromSequenceNr, toSequenceNr).Select(r => (r.SequenceNr, EventBatchCodec.Decode(r.Payload)));

    /// <summary>Stored batches as they are in the journal (compressed), for callers that decode elsewhere.</summary>
    public Source<(long SequenceNr, byte[] Payload), NotUsed> CurrentPayloads(long fromSequenceNr, long toSequenceNr) =>
        _query.CurrentEventsByPersistenceId(EventJournalActor.Id, fromSequenceNr, toSequenceNr)
            .Select(e => (e.SequenceNr, Payload(e)));

    /// <summary>Stored batches from <paramref name="fromSequenceNr"/> on, following the journal's head (polls every refresh-interval).</summary>
    public Source<(long SequenceNr, StoredBatch Batch), NotUsed> LiveBatches(long fromSequenceNr) =>
        _query.EventsByPersistenceId(EventJournalActor.Id, fromSequenceNr, long.MaxValue)
            .Select(e => (e.SequenceNr, EventBatchCodec.Decode(Payload(e))));

    /// <summary>
    /// The stored events with offsets in [<paramref name="fromOffset"/>, <paramref name="toOffset"/>] as stored now,
    /// in offset order. When events before the first stored one were asked for, the first element is a
    /// <see cref="ReadItem.Pruned"/> naming the missing offsets.
    /// </summary>
    public Source<ReadItem, NotUsed> Read(long fromOffset, long toOffset, JournalBounds bounds)
    {
        return Source.FromTask(SeekOffsetAsync(fromOffset, bounds))
            .ConcatMany(start => start is { } s
                ? ItemsFrom(s, fromOffset, toOffset, bounds.HighestSequenceNr)
                : Source.Empty<ReadItem>())
            .MapMaterializedValue(_ => NotUsed.Instance);

        Source<ReadItem, NotUsed> ItemsFrom(JournalRow start, long from, long to, long highest)
        {
            var pruned = start.Header.FirstOffset > from
                ? Source.Single(ReadItem.PrunedRange(from, Math.Min(to, start.Header.FirstOffset - 1)))
                : Source.Empty<ReadItem>();
            var events = CurrentBatches(start.SequenceNr, highest)
                .TakeWhile(b => b.Batch.Header.FirstOffset <= to)
                .SelectMany(b => b.Batch.Events)
                .Where(e => e.Offset >= from && e.Offset <= to)
                .Select(ReadItem.Of);
            return pruned.Concat(events);
        }
    }

    private static JournalRow ToRow(EventEnvelope e) => new(e.SequenceNr, EventBatchCodec.ReadHeader(Payload(e)));

    private static byte[] Payload(EventEnvelope e) => e.Event as byte[]
        ?? throw new JournalFormatException($"journal row {e.SequenceNr} holds a {e.Event?.GetType().Name ?? "null"}, not an fsaudit batch");
}

/// <summary>What a journal read yields: a stored event, or a range of offsets that retention already pruned.</summary>
public sealed class ReadItem
{
    private ReadItem(StoredEvent? e, long from, long to)
    {
        Event = e;
        PrunedFrom = from;
        PrunedTo = to;
    }

    public StoredEvent? Event { get; }
    public long PrunedFrom { get; }
    public long PrunedTo { get; }
    public bool IsPruned => Event == null;

    public static ReadItem Of(StoredEvent e) => new(e, 0, 0);
    public static ReadItem PrunedRange(long from, long to) => new(null, from, to);
}
