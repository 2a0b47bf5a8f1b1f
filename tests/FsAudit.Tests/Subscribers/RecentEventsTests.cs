using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Subscribers;
using Xunit;

namespace FsAudit.Tests.Subscribers;

public class RecentEventsTests
{
    private const int LineBytes = 100;
    private const int PerEvent = LineBytes + RecentEvents.EventOverhead;

    private static PublishedEvent Event(long offset, string name = "FILE_Open") =>
        new(offset, TestView.Instance.Describe(new TestEvent(name)), new byte[LineBytes]);

    /// <summary>A published batch of offsets from..through (every event shown).</summary>
    private static PublishedEvent[] Batch(long from, long through, Func<long, string>? name = null) =>
        Enumerable.Range(0, (int)(through - from + 1)).Select(i => Event(from + i, name?.Invoke(from + i) ?? "FILE_Open")).ToArray();

    private static void Append(RecentEvents w, long from, long through) => w.Append(from, through, Batch(from, through));

    [Fact]
    public void Reading_inside_the_window_returns_the_batches_from_the_one_holding_the_offset()
    {
        var w = new RecentEvents(1 << 20);
        Append(w, 1, 10);
        Append(w, 11, 20);
        Append(w, 21, 30);

        Assert.True(w.Covers(15));
        Assert.Equal(11, w.SegmentFrom(15)?.From); // the batch holding 15, then the ones after it
        Assert.Equal(21, w.SegmentFrom(21)?.From);
        Assert.True(w.Covers(31));
        Assert.Null(w.SegmentFrom(31)); // nothing newer yet, but the window does reach back to 31
        Assert.False(w.Covers(0));
        var stats = w.Stats();
        Assert.Equal((1L, 30L, 2L, 1L), (stats.FromOffset, stats.ThroughOffset, stats.WindowPasses, stats.JournalPasses));
        Assert.Equal(30L * PerEvent, stats.Bytes);
    }

    [Fact]
    public void The_oldest_batches_go_once_the_bytes_exceed_the_capacity_but_the_newest_always_stays()
    {
        var w = new RecentEvents(25L * PerEvent);
        Append(w, 1, 10);
        Append(w, 11, 20);
        Append(w, 21, 30); // 30 events > 25: the first batch goes
        Assert.Equal(11, w.Stats().FromOffset);
        Assert.False(w.Covers(10));
        Assert.Null(w.SegmentFrom(10));
        Assert.True(w.Covers(11));

        Append(w, 31, 130); // one batch larger than the whole window is kept alone
        var stats = w.Stats();
        Assert.Equal((31L, 130L, 100L * PerEvent), (stats.FromOffset, stats.ThroughOffset, stats.Bytes));
    }

    [Fact]
    public void A_batch_that_does_not_follow_the_last_one_starts_the_window_over_and_reset_empties_it()
    {
        var w = new RecentEvents(1 << 20);
        Append(w, 1, 10);
        Append(w, 16, 20); // 11..15 were published without being kept
        Assert.False(w.Covers(12));
        Assert.Equal(16, w.Stats().FromOffset);

        w.Reset(20);
        Assert.False(w.Covers(16));
        Assert.Null(w.Stats().FromOffset);
    }

    [Fact]
    public void What_is_gone_reaches_the_window_or_what_was_published_without_keeping()
    {
        var w = new RecentEvents(1 << 20);
        Assert.Null(w.GoneThrough(1)); // nothing published
        w.Reset(50);
        Assert.Equal(50, w.GoneThrough(10));
        Assert.Null(w.GoneThrough(51));
        Append(w, 51, 60);
        Assert.Equal(50, w.GoneThrough(10));
        Assert.Null(w.GoneThrough(55));
        Assert.Null(w.GoneThrough(61)); // not published yet
        w.Reset(70);
        Assert.Equal(70, w.GoneThrough(55));
    }

    [Fact]
    public void Keeping_only_the_latest_holds_the_last_three_batches_and_reaches_tells_whom_the_window_can_serve()
    {
        var w = new RecentEvents(1 << 20);
        Assert.True(w.Reaches(1)); // nothing kept yet: nobody is behind it
        for (int b = 0; b < 5; b++) w.KeepLatest(b * 10 + 1, b * 10 + 10, Batch(b * 10 + 1, b * 10 + 10));

        var stats = w.Stats();
        Assert.Equal((21L, 50L, 30L * PerEvent), (stats.FromOffset, stats.ThroughOffset, stats.Bytes));
        Assert.True(w.Reaches(21));
        Assert.True(w.Reaches(51)); // needs only what comes next
        Assert.False(w.Reaches(20));
        Assert.Equal(20, w.GoneThrough(5)); // without a journal, what a reader behind it missed

        Append(w, 51, 60); // someone lags: kept in full again from here
        Assert.Equal(21, w.Stats().FromOffset);

        var none = new RecentEvents(0);
        none.KeepLatest(1, 10, Batch(1, 10));
        Assert.Null(none.Stats().FromOffset);
        Assert.Equal(10, none.GoneThrough(1));
    }

    [Fact]
    public void Keeping_the_latest_drops_the_batches_every_filter_has_passed_but_never_the_newest()
    {
        var w = new RecentEvents(1 << 20);
        w.KeepLatest(1, 10, Batch(1, 10), everyFilterFrom: 1);
        w.KeepLatest(11, 20, Batch(11, 20), everyFilterFrom: 5); // a filter is still inside 1..10
        Assert.Equal((1L, 20L), (w.Stats().FromOffset, w.Stats().ThroughOffset));

        w.KeepLatest(21, 30, Batch(21, 30), everyFilterFrom: 21); // every filter took 1..20
        Assert.Equal((21L, 30L, 10L * PerEvent), (w.Stats().FromOffset, w.Stats().ThroughOffset, w.Stats().Bytes));

        w.KeepLatest(31, 40, Batch(31, 40), everyFilterFrom: 41); // even a batch already taken stays until the next
        Assert.Equal((31L, 40L), (w.Stats().FromOffset, w.Stats().ThroughOffset));
        Assert.True(w.Covers(31));
    }

    [Fact]
    public void A_zero_capacity_keeps_nothing()
    {
        var w = new RecentEvents(0);
        Append(w, 1, 10);
        Assert.False(w.Covers(1));
        Assert.Equal(0, w.Stats().Bytes);
    }

    [Fact]
    public async Task The_windowed_history_filters_the_window_and_reads_the_store_for_older_offsets()
    {
        using var system = ActorSystem.Create("recent-events-test");
        var materializer = system.Materializer();
        var w = new RecentEvents(1 << 20);
        w.Append(101, 110, Batch(101, 110, o => o % 2 == 0 ? "FILE_Unlink" : "FILE_Open"));
        w.Append(111, 115, Batch(111, 115, _ => "FILE_Unlink"));
        var stored = new RecordingHistory();
        var history = new WindowedHistory(w, stored);
        var deletes = new SubscriptionFilter(["deletes"], [], new HashSet<string> { "FILE_Unlink" }, [], [], null, [], []);

        var chunks = await history.Read(105, deletes).RunWith(Sink.Seq<HistoryChunk>(), materializer);
        Assert.Equal([110L, 115L], chunks.Select(c => c.Through));
        Assert.Equal([106L, 108L, 110L, 111L, 112L, 113L, 114L, 115L], chunks.SelectMany(c => c.Matched).Select(e => e.Offset));
        Assert.Empty(stored.Reads);

        await history.Read(50, deletes).RunWith(Sink.Seq<HistoryChunk>(), materializer);
        Assert.Equal([50L], stored.Reads);
    }

    [Fact]
    public async Task Without_a_store_what_is_older_than_the_window_is_reported_as_one_gap()
    {
        using var system = ActorSystem.Create("recent-events-gone-test");
        var materializer = system.Materializer();
        var w = new RecentEvents(1 << 20);
        var history = new WindowedHistory(w, new GoneBeforeWindow(w));
        var all = SubscriptionFilter.All;

        // Nothing published yet: nothing to say.
        Assert.Empty(await history.Read(5, all).RunWith(Sink.Seq<HistoryChunk>(), materializer));
        // Published up to 40 without keeping: all of it is gone, even if nothing follows.
        w.Reset(40);
        var before = Assert.Single(await history.Read(5, all).RunWith(Sink.Seq<HistoryChunk>(), materializer));
        Assert.Equal((5L, 40L, 40L), (before.PrunedFrom, before.PrunedTo, before.Through));
        Assert.Empty(await history.Read(41, all).RunWith(Sink.Seq<HistoryChunk>(), materializer));

        Append(w, 101, 110);
        var gone = Assert.Single(await history.Read(50, all).RunWith(Sink.Seq<HistoryChunk>(), materializer));
        Assert.Equal((50L, 100L, 100L, "window"), (gone.PrunedFrom, gone.PrunedTo, gone.Through, gone.GapReason));
        Assert.Empty(gone.Matched);

        var kept = await history.Read(101, all).RunWith(Sink.Seq<HistoryChunk>(), materializer);
        Assert.Equal(Enumerable.Range(101, 10).Select(i => (long)i), kept.SelectMany(c => c.Matched).Select(e => e.Offset));
        Assert.All(kept, c => Assert.Null(c.PrunedFrom));
        await Assert.ThrowsAsync<NotSupportedException>(() => history.OldestOffsetAsync(CancellationToken.None));
    }
}

/// <summary>A stored history that only records where it was asked to read from.</summary>
internal sealed class RecordingHistory : IEventHistory
{
    public List<long> Reads { get; } = [];

    public Source<HistoryChunk, NotUsed> Read(long fromOffset, SubscriptionFilter filter)
    {
        Reads.Add(fromOffset);
        return Source.Single(new HistoryChunk([], fromOffset + 49));
    }

    public Task<long> OldestOffsetAsync(CancellationToken ct) => Task.FromResult(1L);

    public Task<long?> OffsetAtTimeAsync(DateTimeOffset time, CancellationToken ct) => Task.FromResult<long?>(null);
}
