using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Events;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Persistence;

/// <summary>Events that are durable in the journal, with the offsets it gave them (<c>FirstOffset</c>, +1, +2, ...).</summary>
public sealed record JournaledBatch(long FirstOffset, IReadOnlyList<AuditEvent> Events)
{
    public long LastOffset => FirstOffset + Events.Count - 1;
}

/// <summary>
/// The pipeline's event sink when journaling is on: pipeline batches are merged while the journal is busy (up to
/// <c>batch.max-events</c> / <c>max-bytes</c>), encoded, written as one journal event, and only then handed to
/// <paramref name="downstream"/> (the subscriber hub) with their offsets. A slow or failing journal backpressures
/// the pipeline (which buffers and spills records); nothing is dropped and nothing reaches subscribers undurable.
/// </summary>
public static class JournalSink
{
    public static IEventSink<AuditEvent> Create(JournalWriter writer, JournalSettings settings, Sink<JournaledBatch, Task> downstream)
    {
        int maxEvents = settings.MaxBatchEvents;
        long maxBytes = settings.MaxBatchBytes;
        var flow = Flow.Create<IReadOnlyList<AuditEvent>>()
            .Where(b => b.Count > 0)
            .SelectMany(b => Split(b, maxEvents))
            // Weight in "events", with bytes converted so that either limit closes a batch.
            .BatchWeighted(maxEvents,
                b => Math.Max(b.Count, (long)Math.Ceiling(TextBytes(b) * (double)maxEvents / maxBytes)),
                b => new List<AuditEvent>(b),
                (acc, b) => { acc.AddRange(b); return acc; })
            // One encoder per materialization: its buffers are reused for every batch of this stream.
            .StatefulSelectMany<IReadOnlyList<AuditEvent>, List<AuditEvent>, (IReadOnlyList<AuditEvent> Events, byte[] Payload), NotUsed>(() =>
            {
                var encoder = new EventBatchEncoder(settings.CompressionLevel);
                return b => [(b, encoder.Encode(b, compression: settings.Compression))];
            })
            .Async() // encode the next batch while this one is written...
            .Via(Flow.Create<(IReadOnlyList<AuditEvent> Events, byte[] Payload)>()
                .SelectAsync(1, async x =>
                {
                    var a = await writer.AppendAsync(x.Payload, x.Events.Count).ConfigureAwait(false);
                    return new JournaledBatch(a.FirstOffset, x.Events);
                })
                // ...but hold only one encoded batch across the boundary: a stalled journal backpressures at once.
                .WithAttributes(Attributes.CreateInputBuffer(1, 1)));
        return EventSink.From(flow.ToMaterialized(downstream, Keep.Right));
    }

    /// <summary>Feeds an <see cref="IEventSink{TEvent}"/> that numbers events itself (offsets dropped).</summary>
    public static Sink<JournaledBatch, Task> ToEventSink(IEventSink<AuditEvent> sink) =>
        Flow.Create<JournaledBatch>().Select(b => b.Events).ToMaterialized(sink.Sink, Keep.Right);

    /// <summary>Calls <paramref name="handle"/> for each durable batch, one at a time.</summary>
    public static Sink<JournaledBatch, Task> ForEachAsync(Func<JournaledBatch, Task> handle) =>
        Flow.Create<JournaledBatch>()
            .SelectAsync(1, async b => { await handle(b).ConfigureAwait(false); return NotUsed.Instance; })
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Right)
            .MapMaterializedValue(t => (Task)t);

    private static IEnumerable<IReadOnlyList<AuditEvent>> Split(IReadOnlyList<AuditEvent> batch, int max)
    {
        if (batch.Count <= max)
        {
            yield return batch;
            yield break;
        }
        for (int i = 0; i < batch.Count; i += max)
        {
            int n = Math.Min(max, batch.Count - i);
            var part = new AuditEvent[n];
            for (int k = 0; k < n; k++) part[k] = batch[i + k];
            yield return part;
        }
    }

    private static long TextBytes(IReadOnlyList<AuditEvent> batch)
    {
        long n = 0;
        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator, and this runs for every event.
        for (int i = 0; i < batch.Count; i++)
        {
            var records = batch[i].Records;
            for (int k = 0; k < records.Count; k++) n += records[k].Utf8.Length + 16;
        }
        return n;
    }
}
