using Akka.Actor;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Runs the subscriber side once before the kernel's first events: a throw-away hub with its own small recent window
/// publishes a few batches to one subscriber whose buffer is too small for them, so it overflows, catches up from the
/// window and rejoins the live stream, while this class drains its buffer as a connection would. With tiered
/// compilation off, each method compiles at its first call: without this, the first subscriber that fell behind under
/// load spent ~0.5 s compiling the catch-up path (hub, filter actor, window pass, its stream) while the window, sized for
/// ~150 ms of a flood, moved past it, and it went on reading the journal for the rest of the load. Nothing it does
/// touches the live hub, the journal or any counter.
/// </summary>
public static class SubscriberWarmUp
{
    /// <summary>
    /// Publishes <paramref name="events"/> (the daemon passes the hot-path warm-up's 256) in four batches and drains the
    /// subscriber until it has every line and has left its catch-up; returns the lines taken. <paramref name="onLine"/>
    /// sees each line (tests).
    /// </summary>
    /// <exception cref="TimeoutException">The subscriber had not finished within <paramref name="timeout"/>.</exception>
    public static async Task<int> RunAsync<TEvent>(ActorSystem system, ISubscriptionEventView<TEvent> view, IReadOnlyList<TEvent> events,
        TimeSpan timeout, Action<byte[]>? onLine = null)
    {
        if (events.Count == 0) return 0;
        var window = new RecentEvents(1 << 20);
        var hub = system.ActorOf(SubscriberHub.Props(view, maxSubscribers: 1, history: new WindowedHistory(window, new GoneBeforeWindow(window))),
            $"subscriber-warm-up-{Guid.NewGuid():N}");
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // Room for part of a batch: it overflows, which starts a catch-up from the window.
            var buffer = new OutboundBuffer(16 * 1024, stallTime: timeout);
            var answer = await hub.Ask<object>(new Subscribe(new SubscriberPeer(Environment.ProcessId, 0, 0),
                new SubscriptionRequest("warm-up", SubscriptionFilter.All), buffer), timeout).ConfigureAwait(false);
            if (answer is not Subscribed) throw new InvalidOperationException($"the warm-up hub answered {answer}");

            int per = Math.Max(1, (events.Count + 3) / 4);
            for (int i = 0; i < events.Count; i += per)
            {
                var batch = events.Skip(i).Take(per).ToArray();
                await hub.Ask<HubAck>(new PublishBatch<TEvent>(batch), timeout).ConfigureAwait(false);
            }

            // The last offset published (an event the view cannot show gets none).
            var status = await hub.Ask<HubStatus>(GetHubStatus.Instance, timeout).ConfigureAwait(false);
            long last = status.NextOffset - 1;
            var lines = new List<byte[]>();
            int taken = 0;
            while (true)
            {
                lines.Clear();
                buffer.TakeInto(lines, 64 * 1024);
                taken += lines.Count;
                if (onLine is not null) foreach (var l in lines) onLine(l);
                if (lines.Count > 0) continue;
                if (buffer.LastOffset < last)
                {
                    if (!await buffer.WaitAsync(cts.Token).ConfigureAwait(false)) return taken;
                }
                else if (!buffer.CatchingUp) return taken;
                else await Task.Delay(5, cts.Token).ConfigureAwait(false); // everything is here; the pass's end is a message away
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"the subscriber warm-up did not finish within {timeout.TotalSeconds:0.#} s");
        }
        finally
        {
            try { await hub.GracefulStop(timeout).ConfigureAwait(false); }
            catch (TaskCanceledException) { /* stopping with the system, or slow: it holds nothing */ }
        }
    }
}
