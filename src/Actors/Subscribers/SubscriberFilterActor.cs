using Akka.Actor;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Serves one subscriber: picks its events out of each fanned-out batch and offers them to its own bounded
/// buffer. Offering never blocks, so a stalled subscriber costs the others nothing; its buffer counts what it misses.
/// </summary>
internal sealed class SubscriberFilterActor : ReceiveActor
{
    public SubscriberFilterActor(SubscriptionFilter filter, OutboundBuffer buffer)
    {
        Receive<Deliver>(d =>
        {
            foreach (var e in d.Events)
                if (filter.Matches(e.Facts)) buffer.Offer(e);
        });
    }

    public static Props Props(SubscriptionFilter filter, OutboundBuffer buffer) =>
        Akka.Actor.Props.Create(() => new SubscriberFilterActor(filter, buffer));
}
