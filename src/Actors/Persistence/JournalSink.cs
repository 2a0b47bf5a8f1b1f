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
/// The pipeline's event sink when journaling is on: pipeline batches are cut into journal writes
/// (<see cref="JournalBatcher"/>: whole while the journal waits for work, small while it is behind), encoded, written as
/// one journal event each, and only then handed to
/// <paramref name="downstream"/> (the subscriber hub) with their offsets. A slow or failing journal backpressures
/// the pipeline (which buffers and spills records); nothing is dropped and nothing reaches subscribers undurable.
/// </summary>
public static class JournalSink
{
    public static IEventSink<AuditEvent> Create(JournalWriter writer, JournalSettings settings, Sink<JournaledBatch, Task> downstream)
    {
        var flow = Flow.Create<IReadOnlyList<AuditEvent>>()
            .Via(new JournalBatcher(settings.MaxBatchEvents, settings.CatchUpBatchEvents, settings.MaxBatchBytes))
            // One encoder per materialization: its buffers are reused for every batch of this stream.
            .StatefulSelectMany<IReadOnlyList<AuditEvent>, IReadOnlyList<AuditEvent>, (IReadOnlyList<AuditEvent> Events, byte[] Payload), NotUsed>(() =>
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
}
