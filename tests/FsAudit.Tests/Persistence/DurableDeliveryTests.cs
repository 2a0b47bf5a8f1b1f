using System.Text.Json;
using FsAudit.Actors.Persistence;
using FsAudit.Tests.Server;
using Xunit;

namespace FsAudit.Tests.Persistence;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class DurableDeliveryTests
{
    /// <summary>Reads until <paramref name="count"/> event lines arrived; control lines are returned separately.</summary>
    private static async Task<(List<long> Offsets, List<JsonElement> Control)> ReadEvents(LineClient c, int count, double seconds = 10)
    {
        var offsets = new List<long>(count);
        var control = new List<JsonElement>();
        while (offsets.Count < count)
        {
            var line = await c.ReadLine(seconds);
            Assert.NotNull(line);
            var e = JsonDocument.Parse(line).RootElement.Clone();
            if (e.TryGetProperty("offset", out var o)) offsets.Add(o.GetInt64());
            else control.Add(e);
        }
        return (offsets, control);
    }

    private static async Task Ack(LineClient c, long offset) => await c.Send($"{{\"op\":\"ack\",\"offset\":{offset}}}\n");

    [Theory]
    [InlineData(0)]                // no window: every catch-up pass reads the journal
    [InlineData(64 * 1024)]        // a window smaller than the lag: the journal first, then the window
    [InlineData(64 * 1024 * 1024)] // the whole lag in the window: the journal is never read
    public async Task A_stalled_subscriber_catches_up_without_gap_or_duplicate_then_rejoins_live(long window)
    {
        await using var j = new TempJournal();
        // It reads nothing, yet must count as lagging (not stalled) for the hub to keep the window: on a busy machine
        // filling its buffer can take longer than the default 1 s stall time.
        await using var env = await JournalEnv.Start(j, bufferBytes: 32 * 1024, recentWindowBytes: window, stallTime: TimeSpan.FromMinutes(1));
        using var slow = await LineClient.Connect(env.SocketPath, receiveBuffer: 4096);
        await slow.Subscribe("""{"op":"subscribe"}""");
        using var live = await LineClient.Connect(env.SocketPath);
        await live.Subscribe("""{"op":"subscribe"}""");

        // The slow one reads nothing while 20,000 events are journaled and published: nobody waits for it (the live one
        // reads only afterwards). The first few fill a quarter of a buffer, so the hub keeps its window before either
        // overflows.
        // (Its socket takes a few hundred KB first; steps of 10 events stay well below the buffer's 32 KB.)
        int sent = 0;
        while ((await env.HubStatus()).Subscribers.All(s => s.Stats.QueuedBytes * 4 < 32 * 1024 && !s.CatchingUp))
        {
            Assert.True(sent < 5_000, "the slow subscriber's buffer never filled");
            await env.Publish(sent, 10, batch: 10);
            sent += 10;
            await Task.Delay(5);
        }
        await env.Publish(sent, 20_000 - sent);
        var status = await env.HubStatus();
        var slowStatus = status.Subscribers.Single(s => s.Id == "sub-1");
        Assert.True(slowStatus.CatchingUp, "the stalled subscriber should be reading from the journal");
        Assert.Equal(0, slowStatus.Stats.Missed);
        var (liveOffsets, liveControl) = await ReadEvents(live, 20_000);
        Assert.Equal(Enumerable.Range(1, 20_000).Select(i => (long)i), liveOffsets);
        Assert.Empty(liveControl);

        var (offsets, control) = await ReadEvents(slow, 20_000, seconds: 30);
        Assert.Equal(Enumerable.Range(1, 20_000).Select(i => (long)i), offsets);
        Assert.Empty(control);

        await JournalEnv.WaitFor(async () => !(await env.HubStatus()).Subscribers.Single(s => s.Id == "sub-1").CatchingUp, "never rejoined live");
        var recent = (await env.HubStatus()).Recent;
        await env.Publish(20_000, 50);
        var (more, _) = await ReadEvents(slow, 50);
        Assert.Equal(Enumerable.Range(20_001, 50).Select(i => (long)i), more);

        if (window == 0) Assert.Null(recent);
        else
        {
            Assert.NotNull(recent);
            if (window >= 1 << 20)
            {
                Assert.True(recent.WindowPasses > 0, "catch-up never read the window");
                Assert.Equal(0, recent.JournalPasses);
            }
            else Assert.True(recent.JournalPasses > 0, "a lag larger than the window must be read from the journal");
        }
    }

    [Fact]
    public async Task From_earliest_an_offset_or_a_time_replays_then_continues_live()
    {
        await using var j = new TempJournal();
        await using var env = await JournalEnv.Start(j);
        await env.Publish(0, 1000, batch: 100);

        using var fromOffset = await LineClient.Connect(env.SocketPath);
        var reply = await fromOffset.Subscribe("""{"op":"subscribe","from":700}""");
        Assert.Equal(700, reply.GetProperty("offset").GetInt64());
        using var earliest = await LineClient.Connect(env.SocketPath);
        await earliest.Subscribe("""{"op":"subscribe","from":"earliest"}""");
        // SampleEvents: event i (offset i+1) happens at BaseMs + i.
        var t = DateTimeOffset.FromUnixTimeMilliseconds(SampleEvents.BaseMs + 899).ToString("O");
        using var fromTime = await LineClient.Connect(env.SocketPath);
        var timeReply = await fromTime.Subscribe($$"""{"op":"subscribe","from":"{{t}}"}""");
        Assert.Equal(900, timeReply.GetProperty("offset").GetInt64());

        await env.Publish(1000, 10);
        Assert.Equal(Enumerable.Range(700, 311).Select(i => (long)i), (await ReadEvents(fromOffset, 311)).Offsets);
        Assert.Equal(Enumerable.Range(1, 1010).Select(i => (long)i), (await ReadEvents(earliest, 1010)).Offsets);
        Assert.Equal(Enumerable.Range(900, 111).Select(i => (long)i), (await ReadEvents(fromTime, 111)).Offsets);
    }

    [Fact]
    public async Task Filters_apply_to_journal_reads_like_to_live_events()
    {
        await using var j = new TempJournal();
        await using var env = await JournalEnv.Start(j);
        var mixed = Enumerable.Range(0, 300).Select(i => SampleEvents.Make(i, dir: i % 3 == 0 ? "/srv/data" : "/tmp/other")).ToList();
        await env.Publish([mixed]);
        using var c = await LineClient.Connect(env.SocketPath);
        await c.Subscribe("""{"op":"subscribe","from":"earliest","paths":["/srv/data"]}""");
        var (offsets, _) = await ReadEvents(c, 100);
        Assert.Equal(Enumerable.Range(0, 100).Select(k => (long)(k * 3 + 1)), offsets);
    }

    [Fact]
    public async Task A_durable_subscriber_resumes_after_its_last_ack_across_a_daemon_restart()
    {
        await using var j = new TempJournal();
        await using (var env = await JournalEnv.Start(j))
        {
            await env.Publish(0, 500, batch: 50);
            using var c = await LineClient.Connect(env.SocketPath);
            var reply = await c.Subscribe("""{"op":"subscribe","name":"backup","from":"earliest","paths":["/srv"]}""");
            Assert.True(reply.GetProperty("durable").GetBoolean());
            var (offsets, _) = await ReadEvents(c, 300);
            await Ack(c, offsets[^1]);
            await JournalEnv.WaitFor(async () => (await env.Journal.Durable.LastAckAsync("backup", default)) == 300, "ack never stored");
            // The client dies without a goodbye (kill -9 closes its socket); more events arrive meanwhile.
            c.Socket.Close(0);
            await env.Publish(500, 100);
            var st = await env.Journal.StatusAsync();
            Assert.Equal(300, st.Durable.Single().AckedOffset);
        }

        // A new daemon on the same journal.
        await using (var env = await JournalEnv.Start(j))
        {
            Assert.Equal(601, env.Journal.NextOffset);
            using var c = await LineClient.Connect(env.SocketPath);
            var reply = await c.Subscribe("""{"op":"subscribe","name":"backup","paths":["/srv"]}""");
            Assert.Equal(301, reply.GetProperty("offset").GetInt64());
            Assert.Equal(300, reply.GetProperty("acked").GetInt64());
            await env.Publish(600, 10);
            var (offsets, control) = await ReadEvents(c, 310);
            Assert.Equal(Enumerable.Range(301, 310).Select(i => (long)i), offsets);
            Assert.Empty(control);

            // An ack beyond what was sent is clamped and reported.
            await Ack(c, 10_000);
            var warning = await c.ReadJson();
            Assert.Equal("warning", warning.GetProperty("type").GetString());
            await JournalEnv.WaitFor(async () => (await env.Journal.Durable.LastAckAsync("backup", default)) == 610, "clamped ack never stored");
        }
    }

    [Fact]
    public async Task A_durable_subscriber_whose_unacked_events_were_pruned_is_told_exactly_which_offsets()
    {
        await using var j = new TempJournal();
        j.Reconfigure(s => s with { RetentionMaxAge = TimeSpan.FromHours(1) });
        await using var env = await JournalEnv.Start(j);
        using (var c = await LineClient.Connect(env.SocketPath))
        {
            await c.Subscribe("""{"op":"subscribe","name":"late"}""");
        }
        // 400 old events (SampleEvents times are in the past), then 100 of now.
        await env.Publish(0, 400, batch: 100);
        long nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await env.Publish([Enumerable.Range(0, 100).Select(i => SampleEvents.Make(400 + i, nowMs + i)).ToList()]);

        var pruner = new JournalPruner(j.Settings, env.Journal.Writer, env.Journal.Reader, env.System.Log, start: false);
        Assert.Equal(4, await pruner.RunOnceAsync());
        Assert.Equal(400, pruner.Counters.PrunedThroughOffset);
        var status = await env.Journal.StatusAsync();
        Assert.Equal(401, status.Bounds.OldestOffset);
        Assert.Equal(500, status.Bounds.NewestOffset);

        using var again = await LineClient.Connect(env.SocketPath);
        var reply = await again.Subscribe("""{"op":"subscribe","name":"late"}""");
        Assert.Equal(1, reply.GetProperty("offset").GetInt64());
        var gap = await again.ReadJson();
        Assert.Equal("gap", gap.GetProperty("type").GetString());
        Assert.Equal("pruned", gap.GetProperty("reason").GetString());
        Assert.Equal((1L, 400L), (gap.GetProperty("from").GetInt64(), gap.GetProperty("to").GetInt64()));
        var (offsets, _) = await ReadEvents(again, 100);
        Assert.Equal(Enumerable.Range(401, 100).Select(i => (long)i), offsets);
    }
}
