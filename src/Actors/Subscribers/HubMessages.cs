namespace FsAudit.Actors.Subscribers;

/// <summary>Completed events, in order, for the hub to number and fan out. Answered with <see cref="HubAck"/> when sent with a sender.</summary>
/// <param name="FirstOffset">
/// The offsets a journal already gave these events (<c>FirstOffset</c>, +1, ...); null lets the hub number them.
/// With a journal, events reach the hub only once durable, and the hub's offsets are the journal's.
/// </param>
public sealed record PublishBatch<TEvent>(IReadOnlyList<TEvent> Events, long? FirstOffset = null);

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
/// <param name="StartOffset">
/// The first offset to deliver (resolved from <c>from</c> or a durable subscriber's last ack); null = from now. An offset
/// before the live stream is read from the hub's <see cref="IEventHistory"/> first.
/// </param>
public sealed record Subscribe(SubscriberPeer Peer, SubscriptionRequest Request, OutboundBuffer Buffer, long? StartOffset = null);

/// <param name="NextOffset">The first offset this subscriber can see: its start offset, or the next published one.</param>
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
/// <param name="Recent">The shared window of recent events subscribers catch up from; null when none is kept.</param>
public sealed record HubStatus(long NextOffset, long Published, long Unpublishable, int MaxSubscribers, IReadOnlyList<SubscriberSnapshot> Subscribers,
    RecentEventsStats? Recent = null);

/// <summary>The hub's fan-out to a filter actor: the same array goes to every subscriber.</summary>
/// <param name="Through">The last offset the hub has published (events that cannot be shown included).</param>
internal sealed record Deliver(PublishedEvent[] Events, long Through);
