using Akka.Actor;
using FsAudit.Actors.Pipeline;

namespace FsAudit.Actors.Subscribers;

/// <summary>
/// Runs the subscriber side once before the kernel's first events: a throw-away hub with its own small recent window
/// publishes a few batches to one subscriber whose buffer is too small for them, so it overflows, catches up from the
/// window and rejoins the live stream, while this class drains its buffer as a connection would. With tiered
/// compilation off, each method compiles at its first call: without this, the first subscriber that fell behind under
/// load compiled the catch-up path then (hub, filter actor, window pass, its stream: 250-440 methods, 0.2-0.4 s of JIT
/// at start-up) while the window, sized for ~150 ms of a flood, moved past it, and it went on reading the journal for the
/// rest of the load. Nothing it does touches the live hub, the journal or any counter.
/// </summary>
public static class SubscriberWarmUp
{
    /// <summary>
    /// Publishes <paramref name="events"/> (the daemon passes the hot-path warm-up's 256) in four batches and drains the
    /// subscriber until it has every line and has left its catch-up; returns the lines taken and what it cost.
    /// <paramref name="onLine"/> sees each line (tests).
    /// </summary>
    /// <exception cref="TimeoutException">The subscriber had not finished within <paramref name="timeout"/>.</exception>
    public static async Task<SubscriberWarmUpReport> RunAsync<TEvent>(ActorSystem system, ISubscriptionEventView<TEvent> view, IReadOnlyList<TEvent> events,
        TimeSpan timeout, Action<byte[]>? onLine = null)
    {
        var work = JitWork.Start();
        if (events.Count == 0) return new SubscriberWarmUpReport(0, work);
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
                    if (!await buffer.WaitAsync(cts.Token).ConfigureAwait(false)) return new SubscriberWarmUpReport(taken, work);
                }
                else if (!buffer.CatchingUp) return new SubscriberWarmUpReport(taken, work);
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

/// <summary>What <see cref="SubscriberWarmUp"/> delivered and what it cost (taken when it returns).</summary>
public sealed record SubscriberWarmUpReport(int Lines, TimeSpan Elapsed, long JitMethods, TimeSpan JitTime)
{
    internal SubscriberWarmUpReport(int lines, JitWork work) : this(lines, work.Elapsed, work.Methods, work.JitTime) { }

    public override string ToString() =>
        $"{Lines} lines through a catch-up in {Elapsed.TotalMilliseconds:0} ms, {JitMethods} methods JIT-compiled ({JitTime.TotalMilliseconds:0} ms)";
}
