using Akka;
using Akka.Streams.Dsl;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// The journal as the subscriber hub's <see cref="IEventHistory"/>: stored batches are rebuilt into events, filtered,
/// and serialized exactly as the live hub does it (same view, same writer), one chunk per journal row. Offsets the
/// journal no longer holds (retention) come out as a pruned range before the next stored event.
/// </summary>
/// <param name="catchUp">Where the decoding and serializing run (null: on the stream's own thread).</param>
public sealed class JournalHistory(JournalReader reader, ISubscriptionEventView<AuditEvent> view, CatchUpScheduler? catchUp = null) : IEventHistory
{
    public Source<HistoryChunk, NotUsed> Read(long fromOffset, SubscriptionFilter filter)
    {
        return Source.FromTask(Start(fromOffset))
            .ConcatMany(start => start is { } s ? Chunks(s.Row, s.Highest, fromOffset, filter) : Source.Empty<HistoryChunk>())
            .MapMaterializedValue(_ => NotUsed.Instance);
    }

    private async Task<(JournalRow Row, long Highest)?> Start(long fromOffset)
    {
        var bounds = await reader.BoundsAsync().ConfigureAwait(false);
        var row = await reader.SeekOffsetAsync(fromOffset, bounds).ConfigureAwait(false);
        return row is { } r ? (r, bounds.HighestSequenceNr) : null;
    }

    private Source<HistoryChunk, NotUsed> Chunks(JournalRow start, long highest, long fromOffset, SubscriptionFilter filter)
    {
        // One writer per read: PublishedEventWriter is not thread-safe, and reads run concurrently.
        var writer = new PublishedEventWriter<AuditEvent>(view);
        long expected = fromOffset;
        var rows = reader.CurrentPayloads(start.SequenceNr, highest);
        return catchUp is null
            ? rows.Select(r => Chunk(r.Payload))
            : rows.SelectAsync(1, r => catchUp.Run(() => Chunk(r.Payload)));

        HistoryChunk Chunk(byte[] payload)
        {
            var b = EventBatchCodec.Decode(payload);
            var h = b.Header;
            long? prunedFrom = null, prunedTo = null;
            if (h.FirstOffset > expected)
            {
                prunedFrom = expected;
                prunedTo = h.FirstOffset - 1;
            }
            var matched = new List<PublishedEvent>();
            foreach (var stored in b.Events)
            {
                if (stored.Offset < fromOffset) continue;
                AuditEvent e;
                EventFacts facts;
                try
                {
                    e = stored.Build();
                    facts = view.Describe(e);
                }
                catch (Exception) { continue; } // the live hub could not show it either
                if (!filter.Matches(facts)) continue;
                try { matched.Add(writer.Write(stored.Offset, e, facts)); }
                catch (Exception) { /* counted by the live hub when it was published */ }
            }
            if (h.LastOffset + 1 > expected) expected = h.LastOffset + 1;
            return new HistoryChunk(matched, h.LastOffset, prunedFrom, prunedTo);
        }
    }

    public async Task<long> OldestOffsetAsync(CancellationToken ct)
    {
        var bounds = await reader.BoundsAsync().WaitAsync(ct).ConfigureAwait(false);
        return bounds.OldestOffset ?? bounds.NextOffset;
    }

    public async Task<long?> OffsetAtTimeAsync(DateTimeOffset time, CancellationToken ct)
    {
        var bounds = await reader.BoundsAsync().WaitAsync(ct).ConfigureAwait(false);
        var row = await reader.SeekTimeAsync(time, bounds).WaitAsync(ct).ConfigureAwait(false);
        if (row is not { } r) return null;
        // The first event of that row at or after the time (batches are about, not strictly, time-ordered).
        var batch = await reader.CurrentBatches(r.SequenceNr, r.SequenceNr)
            .RunWith(Sink.First<(long, StoredBatch Batch)>(), reader.Materializer).WaitAsync(ct).ConfigureAwait(false);
        long ms = time.ToUnixTimeMilliseconds();
        foreach (var e in batch.Batch.Events)
            if (e.Records.Count > 0 && e.Records[0].TimestampMs >= ms) return e.Offset;
        return r.Header.FirstOffset;
    }
}
