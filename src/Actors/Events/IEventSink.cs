using Akka;
using Akka.Streams.Dsl;

namespace FsAudit.Actors.Events;

/// <summary>
/// The single publishing point completed events flow into, a batch at a time, with backpressure: the
/// pipeline only pulls more records when the sink demands. Subscribers and persistence attach behind it.
/// </summary>
public interface IEventSink<TEvent>
{
    /// <summary>
    /// Materialized once per pipeline. Its task completes when the sink has handled everything it was
    /// given after upstream completed (so <c>StopAsync</c> can await it), and faults if the sink failed.
    /// </summary>
    Sink<IReadOnlyList<TEvent>, Task> Sink { get; }
}

/// <summary>Ready-made sinks.</summary>
public static class EventSink
{
    /// <summary>Calls <paramref name="handle"/> for each batch, one at a time, on a stream thread (blocking is backpressure).</summary>
    public static IEventSink<TEvent> ForEach<TEvent>(Action<IReadOnlyList<TEvent>> handle) =>
        new DelegateSink<TEvent>(Sink.ForEach(handle).MapMaterializedValue(t => (Task)t));

    /// <summary>Awaits <paramref name="handle"/> for each batch before taking the next one.</summary>
    public static IEventSink<TEvent> ForEachAsync<TEvent>(Func<IReadOnlyList<TEvent>, Task> handle) =>
        new DelegateSink<TEvent>(Flow.Create<IReadOnlyList<TEvent>>()
            .SelectAsync(1, async batch => { await handle(batch).ConfigureAwait(false); return NotUsed.Instance; })
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Right)
            .MapMaterializedValue(t => (Task)t));

    /// <summary>Wraps any stream sink.</summary>
    public static IEventSink<TEvent> From<TEvent>(Sink<IReadOnlyList<TEvent>, Task> sink) => new DelegateSink<TEvent>(sink);

    private sealed class DelegateSink<TEvent>(Sink<IReadOnlyList<TEvent>, Task> sink) : IEventSink<TEvent>
    {
        public Sink<IReadOnlyList<TEvent>, Task> Sink { get; } = sink;
    }
}
