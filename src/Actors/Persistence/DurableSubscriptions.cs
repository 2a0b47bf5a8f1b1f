using Akka.Actor;
using Akka.Pattern;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// <see cref="IDurableSubscriptions"/> over <see cref="DurableSubscriptionsActor"/>, kept alive by a backoff
/// supervisor: a failed write stops the store actor (Akka.Persistence's rule) and it comes back from the journal.
/// </summary>
public sealed class DurableSubscriptions : IDurableSubscriptions
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly IActorRef _store;

    public DurableSubscriptions(ActorSystem system, string name = "durable-subscriptions")
    {
        var child = DurableSubscriptionsActor.Props();
        _store = system.ActorOf(BackoffSupervisor.Props(
            Backoff.OnStop(child, "store", TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), 0.2)), name);
    }

    public async Task<long?> LastAckAsync(string name, CancellationToken ct)
    {
        var all = await ListAsync(ct).ConfigureAwait(false);
        return all.FirstOrDefault(s => s.Name == name)?.AckedOffset;
    }

    public async Task RegisterAsync(string name, SubscriptionFilter filter, long? setAcked, CancellationToken ct) =>
        await _store.Ask<DurableRegistered>(new RegisterDurable(name, filter.ToString(), setAcked), AskTimeout, ct).ConfigureAwait(false);

    public void Ack(string name, long offset) => _store.Tell(new AckDurable(name, offset));

    /// <summary>Every stored subscriber, by name.</summary>
    public Task<List<DurableSubscription>> ListAsync(CancellationToken ct = default) =>
        _store.Ask<List<DurableSubscription>>(ListDurable.Instance, AskTimeout, ct);

    /// <summary>Removes a stored subscriber; false when there was none by that name.</summary>
    public Task<bool> ForgetAsync(string name, CancellationToken ct = default) =>
        _store.Ask<bool>(new ForgetDurable(name), AskTimeout, ct);

    /// <summary>Completes when every ack sent before this call is durable.</summary>
    public Task FlushAsync(CancellationToken ct = default) => _store.Ask<bool>(FlushDurable.Instance, AskTimeout, ct);
}
