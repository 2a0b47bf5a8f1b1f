using Akka.Actor;
using FsAudit.Actors.Events;

namespace FsAudit.Actors.Subscribers;

/// <summary>The pipeline's event sink feeding a <see cref="SubscriberHub{TEvent}"/>, one acknowledged batch at a time.</summary>
public static class HubEventSink
{
    /// <param name="timeout">
    /// A hub that does not acknowledge within this time has failed (it never waits for subscribers, only for its own
    /// classification and serialization), so the stream fails rather than hangs.
    /// </param>
    public static IEventSink<TEvent> Create<TEvent>(IActorRef hub, TimeSpan? timeout = null)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(30);
        return EventSink.ForEachAsync<TEvent>(batch => hub.Ask<HubAck>(new PublishBatch<TEvent>(batch), wait));
    }
}
