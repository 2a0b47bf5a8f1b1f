namespace FsAudit.Actors.Subscribers;

/// <summary>Completed events, in order, for the hub to number and fan out. Answered with <see cref="HubAck"/> when sent with a sender.</summary>
public sealed record PublishBatch<TEvent>(IReadOnlyList<TEvent> Events);

/// <summary>
/// The acknowledgement of a <see cref="PublishBatch{TEvent}"/>; also the ack/init/complete protocol of
/// <c>Sink.ActorRefWithAck(hub, HubStreamInit.Instance, HubAck.Instance, HubStreamCompleted.Instance)</c>.
/// </summary>
public sealed class HubAck { public static readonly HubAck Instance = new(); private HubAck() { } }
public sealed class HubStreamInit { public static readonly HubStreamInit Instance = new(); private HubStreamInit() { } }
public sealed class HubStreamCompleted { public static readonly HubStreamCompleted Instance = new(); private HubStreamCompleted() { } }

/// <summary>The process at the other end of a subscriber's socket (from SO_PEERCRED).</summary>
public sealed record SubscriberPeer(int Pid, uint Uid, uint Gid);

/// <summary>Start a subscriber: answered with <see cref="Subscribed"/> or <see cref="SubscribeRefused"/>.</summary>
public sealed record Subscribe(SubscriberPeer Peer, SubscriptionRequest Request, OutboundBuffer Buffer);

/// <param name="NextOffset">The offset the next published event will get: the first this subscriber can see.</param>
public sealed record Subscribed(string Id, long NextOffset);

public sealed record SubscribeRefused(string Reason);

/// <summary>Stop a subscriber (its connection closed). Its buffer is completed.</summary>
public sealed record Unsubscribe(string Id);

/// <summary>The requester gave up waiting for the answer to a <see cref="Subscribe"/>: drop the subscriber using this buffer, if any.</summary>
public sealed record AbandonSubscribe(OutboundBuffer Buffer);

/// <summary>Answered with <see cref="HubStatus"/>.</summary>
public sealed class GetHubStatus { public static readonly GetHubStatus Instance = new(); private GetHubStatus() { } }

/// <param name="NextOffset">Offset of the next event to publish (published events so far = NextOffset - first offset).</param>
/// <param name="Unpublishable">Events skipped because describing or serializing them failed (no offset given).</param>
public sealed record HubStatus(long NextOffset, long Published, long Unpublishable, int MaxSubscribers, IReadOnlyList<SubscriberSnapshot> Subscribers);

/// <summary>The hub's fan-out to a filter actor: the same array goes to every subscriber.</summary>
internal sealed record Deliver(PublishedEvent[] Events);
