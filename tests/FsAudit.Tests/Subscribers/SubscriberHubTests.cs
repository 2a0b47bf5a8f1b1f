using Xunit;
using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Tests.Subscribers;

public class SubscriberHubTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static SubscriptionRequest Request(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.True(SubscriptionRequest.TryParse(doc.RootElement, TestCatalog.Instance, out var r, out var error), error);
        return r!;
    }

    private (OutboundBuffer Buffer, Subscribed Reply) Subscribe(IActorRef hub, string json, long bufferBytes = 1 << 20, TimeSpan? stallTime = null)
    {
        var buffer = new OutboundBuffer(bufferBytes, stallTime);
        hub.Tell(new Subscribe(new SubscriberPeer(1, 0, 0), Request(json), buffer), TestActor);
        return (buffer, ExpectMsg<Subscribed>(Wait));
    }

    /// <summary>What a connection writer would read: lines until <paramref name="until"/> holds or time runs out.</summary>
    private static async Task<List<JsonElement>> Read(OutboundBuffer b, Func<List<JsonElement>, bool> until)
    {
        var got = new List<JsonElement>();
        using var cts = new CancellationTokenSource(Wait);
        var lines = new List<byte[]>();
        while (!until(got))
        {
            await b.WaitAsync(cts.Token);
            lines.Clear();
            b.TakeInto(lines, int.MaxValue);
            got.AddRange(lines.Select(Lines.Parse));
        }
        return got;
    }

    private static TestEvent[] Mixed(int n) =>
        Enumerable.Range(0, n).Select(i => new TestEvent(i % 2 == 0 ? "FILE_Unlink" : "PROC_Execute", Note: $"n{i}")).ToArray();

    [Fact]
    public async Task Disjoint_subscribers_each_get_exactly_their_subset_with_global_offsets()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8));
        var (files, s1) = Subscribe(hub, """{"classes":["files"]}""");
        var (proc, _) = Subscribe(hub, """{"classes":["proc"]}""");
        Assert.Equal(1, s1.NextOffset);

        hub.Tell(new PublishBatch<TestEvent>(Mixed(6)), TestActor);
        ExpectMsg<HubAck>(Wait);
        hub.Tell(new PublishBatch<TestEvent>(Mixed(4)), TestActor);
        ExpectMsg<HubAck>(Wait);

        var f = await Read(files, g => g.Count == 5);
        var p = await Read(proc, g => g.Count == 5);
        Assert.All(f, e => Assert.Equal("FILE_Unlink", e.GetProperty("event").GetString()));
        Assert.All(p, e => Assert.Equal("PROC_Execute", e.GetProperty("event").GetString()));
        Assert.Equal([1L, 3, 5, 7, 9], f.Select(e => e.GetProperty("offset").GetInt64()));
        Assert.Equal([2L, 4, 6, 8, 10], p.Select(e => e.GetProperty("offset").GetInt64()));
        Assert.Equal(["files", "deletes"], f[0].GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("n0", f[0].GetProperty("note").GetString());
        Assert.Equal("n1", p[0].GetProperty("note").GetString());
        await Task.Delay(200);
        Assert.Equal(0, files.Stats.QueuedLines); // and nothing beyond the subset arrived
        Assert.Equal(0, proc.Stats.QueuedLines);
    }

    [Fact]
    public async Task Each_event_line_is_serialized_once_and_shared()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8));
        var (a, _) = Subscribe(hub, """{}""");
        var (b, _) = Subscribe(hub, """{"events":["FILE_Unlink"]}""");
        hub.Tell(new PublishBatch<TestEvent>([new TestEvent("FILE_Unlink")]));
        await a.WaitAsync(new CancellationTokenSource(Wait).Token);
        await b.WaitAsync(new CancellationTokenSource(Wait).Token);
        var la = new List<byte[]>();
        var lb = new List<byte[]>();
        a.TakeInto(la, int.MaxValue);
        b.TakeInto(lb, int.MaxValue);
        Assert.Same(la[0], lb[0]);
    }

    [Fact]
    public async Task A_stalled_subscriber_does_not_delay_the_others_and_later_sees_its_gap()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8));
        var (files, _) = Subscribe(hub, """{"classes":["files"]}""");
        var (proc, _) = Subscribe(hub, """{"classes":["proc"]}""");
        var (stalled, _) = Subscribe(hub, """{}""", bufferBytes: 2000); // room for a handful of lines

        // Nobody reads `stalled` while 40 batches flow; the other two are read as they arrive.
        var fileEvents = new List<JsonElement>();
        var procEvents = new List<JsonElement>();
        for (int batch = 0; batch < 40; batch++)
        {
            hub.Tell(new PublishBatch<TestEvent>(Mixed(10)), TestActor);
            ExpectMsg<HubAck>(Wait); // the publishing point is never held up
            fileEvents.AddRange(await Read(files, g => g.Count == 5));
            procEvents.AddRange(await Read(proc, g => g.Count == 5));
        }
        Assert.Equal(200, fileEvents.Count);
        Assert.Equal(200, procEvents.Count);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => 1L + 2 * i), fileEvents.Select(e => e.GetProperty("offset").GetInt64()));

        var stats = stalled.Stats;
        Assert.Equal(400, stats.Matched);
        Assert.True(stats.Missed > 350, $"missed {stats.Missed}");
        int kept = stats.QueuedLines;

        // It wakes up: what it had, then one gap notice naming exactly the offsets it lost, then new events.
        var first = await Read(stalled, g => g.Count == kept + 1);
        hub.Tell(new PublishBatch<TestEvent>(Mixed(2)), TestActor);
        ExpectMsg<HubAck>(Wait);
        var after = await Read(stalled, g => g.Count == 2);

        var offsets = first.Take(kept).Select(e => e.GetProperty("offset").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, kept).Select(i => (long)i), offsets);
        var gap = first[kept];
        Assert.Equal("gap", gap.GetProperty("type").GetString());
        Assert.Equal(kept + 1, gap.GetProperty("from").GetInt64());
        Assert.Equal(400, gap.GetProperty("to").GetInt64());
        Assert.Equal(400 - kept, gap.GetProperty("missed").GetInt64());
        Assert.Equal([401L, 402], after.Select(e => e.GetProperty("offset").GetInt64()));
    }

    [Fact]
    public void Limits_and_names_are_enforced_and_status_lists_subscribers()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 2, firstOffset: 100));
        var (_, first) = Subscribe(hub, """{"name":"backup","paths":["/srv"]}""");
        Assert.Equal(100, first.NextOffset);

        hub.Tell(new Subscribe(new SubscriberPeer(2, 0, 0), Request("""{"name":"backup"}"""), new OutboundBuffer(100)), TestActor);
        Assert.Contains("already connected", ExpectMsg<SubscribeRefused>(Wait).Reason);

        Subscribe(hub, "{}");
        hub.Tell(new Subscribe(new SubscriberPeer(3, 0, 0), Request("{}"), new OutboundBuffer(100)), TestActor);
        Assert.Equal("too many subscribers (maximum 2)", ExpectMsg<SubscribeRefused>(Wait).Reason);

        hub.Tell(new PublishBatch<TestEvent>([new TestEvent("FILE_Open"), new TestEvent("BROKEN"), new TestEvent("FILE_Open", ["/srv/x"])]), TestActor);
        ExpectMsg<HubAck>(Wait);
        hub.Tell(GetHubStatus.Instance, TestActor);
        var status = ExpectMsg<HubStatus>(Wait);
        Assert.Equal(102, status.NextOffset); // the broken event got no offset
        Assert.Equal(1, status.Unpublishable);
        Assert.Equal(2, status.Subscribers.Count);
        Assert.Equal("backup", status.Subscribers[0].Name);
        Assert.Equal("""{"paths":["/srv"]}""", status.Subscribers[0].Filter.ToString());

        hub.Tell(new Unsubscribe(first.Id));
        hub.Tell(GetHubStatus.Instance, TestActor);
        Assert.Single(ExpectMsg<HubStatus>(Wait).Subscribers);
    }

    [Fact]
    public async Task Unsubscribing_completes_the_buffer_and_stops_the_filter_actor()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 2));
        var (buffer, s) = Subscribe(hub, "{}");
        var filter = await Sys.ActorSelection(hub.Path / s.Id).ResolveOne(Wait);
        Watch(filter);
        hub.Tell(new Unsubscribe(s.Id));
        ExpectTerminated(filter, Wait);
        Assert.False(await buffer.WaitAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_abandoned_subscribe_leaves_no_subscriber_behind()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 2));
        var (buffer, _) = Subscribe(hub, "{}");
        hub.Tell(new AbandonSubscribe(new OutboundBuffer(100))); // someone else's: no effect
        hub.Tell(GetHubStatus.Instance, TestActor);
        Assert.Single(ExpectMsg<HubStatus>(Wait).Subscribers);
        hub.Tell(new AbandonSubscribe(buffer));
        hub.Tell(GetHubStatus.Instance, TestActor);
        Assert.Empty(ExpectMsg<HubStatus>(Wait).Subscribers);
        Assert.False(await buffer.WaitAsync(CancellationToken.None));
    }

    /// <summary>
    /// Publishes <paramref name="batches"/> batches of 10 while the subscriber reads only about
    /// <paramref name="readBytes"/> after each (falling behind, but reading), then reads to the end.
    /// </summary>
    private async Task<List<JsonElement>> SlowReader(IActorRef hub, OutboundBuffer slow, int batches, int readBytes)
    {
        var got = new List<JsonElement>();
        var lines = new List<byte[]>();
        for (int batch = 0; batch < batches; batch++)
        {
            hub.Tell(new PublishBatch<TestEvent>(Mixed(10)), TestActor);
            ExpectMsg<HubAck>(Wait);
            lines.Clear();
            slow.TakeInto(lines, readBytes);
            got.AddRange(lines.Select(Lines.Parse));
        }
        long last = batches * 10;
        bool Done(List<JsonElement> g) => (got.Count > 0 && Reaches(got[^1], last)) || (g.Count > 0 && Reaches(g[^1], last));
        got.AddRange(await Read(slow, Done));
        return got;
    }

    /// <summary>
    /// Every offset 1..<paramref name="through"/> exactly once, in order: delivered, or inside a gap notice saying the
    /// window had moved on. Returns the number of gap notices.
    /// </summary>
    private static int EveryOffsetOnce(List<JsonElement> lines, long through)
    {
        long next = 1;
        int gaps = 0;
        foreach (var line in lines)
        {
            if (line.TryGetProperty("offset", out var o))
            {
                Assert.Equal(next++, o.GetInt64());
                continue;
            }
            Assert.Equal("gap", line.GetProperty("type").GetString());
            Assert.Equal("window", line.GetProperty("reason").GetString());
            Assert.Equal(next, line.GetProperty("from").GetInt64());
            next = line.GetProperty("to").GetInt64() + 1;
            gaps++;
        }
        Assert.Equal(through + 1, next);
        return gaps;
    }

    private static bool Reaches(JsonElement line, long offset) =>
        (line.TryGetProperty("offset", out var o) ? o.GetInt64() : line.GetProperty("to").GetInt64()) >= offset;

    [Fact]
    public async Task Without_a_journal_a_subscriber_behind_by_less_than_the_recent_window_loses_nothing()
    {
        var recent = new RecentEvents(1 << 20);
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8, history: new WindowedHistory(recent, new GoneBeforeWindow(recent))));
        // A busy test machine must not make this reader look stalled (a stalled one is not kept a window).
        var (slow, _) = Subscribe(hub, """{}""", bufferBytes: 20_000, stallTime: TimeSpan.FromMinutes(1));

        var got = await SlowReader(hub, slow, batches: 60, readBytes: 300);

        Assert.All(got, e => Assert.True(e.TryGetProperty("offset", out _), $"unexpected {e}"));
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), got.Select(e => e.GetProperty("offset").GetInt64()));
        Assert.True(recent.Stats().WindowPasses > 0); // it did fall behind, and caught up from the window
        Assert.Equal(0, slow.Stats.Missed);
    }

    [Fact]
    public async Task Without_a_journal_what_is_older_than_the_recent_window_is_one_exact_gap()
    {
        var recent = new RecentEvents(3000); // a batch or two
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8, history: new WindowedHistory(recent, new GoneBeforeWindow(recent))));
        var (slow, _) = Subscribe(hub, """{}""", bufferBytes: 20_000);

        var got = await SlowReader(hub, slow, batches: 60, readBytes: 300);

        int gaps = EveryOffsetOnce(got, through: 600);
        Assert.True(gaps > 0, "the subscriber fell further behind than a 3000-byte window");
    }

    [Fact]
    public async Task Without_a_journal_a_subscriber_that_stalled_learns_its_gap_when_it_wakes_even_if_nothing_follows()
    {
        var recent = new RecentEvents(1 << 20);
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8, history: new WindowedHistory(recent, new GoneBeforeWindow(recent))));
        var (stalled, _) = Subscribe(hub, """{}""", bufferBytes: 20_000, stallTime: TimeSpan.FromMilliseconds(200));

        // It reads nothing: after 200 ms it counts as stalled and the hub keeps nothing for it.
        await Task.Delay(300);
        for (int batch = 0; batch < 60; batch++)
        {
            hub.Tell(new PublishBatch<TestEvent>(Mixed(10)), TestActor);
            ExpectMsg<HubAck>(Wait);
        }

        // It wakes up; no event is published any more. It still gets what it had, then one gap up to offset 600.
        var got = await Read(stalled, g => g.Count > 0 && Reaches(g[^1], 600));
        Assert.True(EveryOffsetOnce(got, through: 600) > 0);
    }

    [Fact]
    public async Task The_recent_window_keeps_only_what_a_filter_has_not_taken_and_everything_while_a_subscriber_lags()
    {
        var recent = new RecentEvents(1 << 20);
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8, history: new WindowedHistory(recent, new RecordingHistory())));
        var (buffer, _) = Subscribe(hub, """{"classes":["files"]}""", bufferBytes: 4096);
        long published = 0;
        async Task Publish(bool read)
        {
            hub.Tell(new PublishBatch<TestEvent>(Mixed(2)), TestActor);
            ExpectMsg<HubAck>(Wait);
            published += 2;
            if (read) await Read(buffer, g => g.Count == 1);
            else await AwaitConditionAsync(() => Task.FromResult(buffer.LastOffset >= published - 1), Wait);
        }

        // Keeping up (the buffer is drained after each batch): the filter took every earlier batch, so only the
        // newest is kept.
        for (int i = 0; i < 5; i++) await Publish(read: true);
        Assert.Equal((published - 1, published), (recent.Stats().FromOffset, recent.Stats().ThroughOffset));

        // Not reading: once a quarter of its buffer is queued (or would be with the next batch) every batch is kept.
        while (!buffer.IsLagging) await Publish(read: false);
        long lagging = published;
        for (int i = 0; i < 5; i++) await Publish(read: false);
        var stats = recent.Stats();
        Assert.True(stats.FromOffset <= lagging - 5, $"window from {stats.FromOffset}, lagging since {lagging}");
        Assert.Equal(published, stats.ThroughOffset);

        // Caught up again: the next batch trims it to the newest.
        await Read(buffer, g => g.Count > 0 && g[^1].GetProperty("offset").GetInt64() == published - 1);
        await Publish(read: true);
        Assert.Equal((published - 1, published), (recent.Stats().FromOffset, recent.Stats().ThroughOffset));
    }

    [Fact]
    public async Task A_batch_that_will_overflow_a_subscriber_is_kept_before_its_filter_sees_it()
    {
        var recent = new RecentEvents(1 << 20);
        var stored = new RecordingHistory();
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8, history: new WindowedHistory(recent, stored)));
        var (buffer, _) = Subscribe(hub, """{}""", bufferBytes: 2000);

        // Six batches in a row, each larger than the buffer, before the reader takes anything: every one is kept, so
        // the catch-up after the overflow reads the window, never the journal.
        for (int i = 0; i < 6; i++)
        {
            hub.Tell(new PublishBatch<TestEvent>(Mixed(20)), TestActor);
            ExpectMsg<HubAck>(Wait);
        }
        var got = await Read(buffer, g => g.Count > 0 && g[^1].GetProperty("offset").GetInt64() == 120);

        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), got.Select(e => e.GetProperty("offset").GetInt64()));
        Assert.Empty(stored.Reads);
        Assert.True(recent.Stats().WindowPasses > 0);
    }

    [Fact]
    public void A_total_buffer_budget_is_shared_equally_and_regrows_when_a_subscriber_leaves()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(TestView.Instance, maxSubscribers: 8, totalBufferBytes: 3000));
        var (a, _) = Subscribe(hub, """{"classes":["files"]}""", bufferBytes: 4096);
        Assert.Equal(3000, a.CapacityBytes);
        var (b, _) = Subscribe(hub, """{"classes":["files"]}""", bufferBytes: 4096);
        var (c, sc) = Subscribe(hub, """{"classes":["files"]}""", bufferBytes: 800);
        Assert.Equal((1000L, 1000L, 800L), (a.CapacityBytes, b.CapacityBytes, c.CapacityBytes)); // never above its own size

        hub.Tell(new Unsubscribe(sc.Id));
        AwaitAssert(() => Assert.Equal((1500L, 1500L), (a.CapacityBytes, b.CapacityBytes)), Wait);
    }
}
