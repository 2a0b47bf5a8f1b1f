using Xunit;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Tests.Subscribers;

public class OutboundBufferTests
{
    private static PublishedEvent Event(long offset, int bytes = 100)
    {
        var line = new byte[bytes];
        Array.Fill(line, (byte)'x');
        line[^1] = (byte)'\n';
        return new PublishedEvent(offset, TestView.Instance.Describe(new TestEvent("FILE_Open")), line);
    }

    private static List<byte[]> TakeAll(OutboundBuffer b)
    {
        var lines = new List<byte[]>();
        while (b.TakeInto(lines, int.MaxValue) > 0) { }
        return lines;
    }

    [Fact]
    public void Full_buffer_counts_misses_and_queues_one_gap_notice_in_order_once_there_is_room()
    {
        var b = new OutboundBuffer(300);
        for (long o = 1; o <= 10; o++) b.Offer(Event(o)); // 1..3 fit, 4..10 missed
        Assert.Equal(new OutboundStats(10, 0, 7, 0, 3, 300, 300), b.Stats);

        var lines = new List<byte[]>();
        b.TakeInto(lines, 100); // room again: the notice follows what was queued before the misses
        b.Offer(Event(11));
        var rest = TakeAll(b);
        Assert.Equal(4, rest.Count); // events 2, 3, the notice; 11 found no room after the notice: a second gap

        var notice = Lines.Parse(rest[2]);
        Assert.Equal("gap", notice.GetProperty("type").GetString());
        Assert.Equal(4, notice.GetProperty("from").GetInt64());
        Assert.Equal(10, notice.GetProperty("to").GetInt64());
        Assert.Equal(7, notice.GetProperty("missed").GetInt64());
        var second = Lines.Parse(rest[3]);
        Assert.Equal((11L, 11L, 1L), (second.GetProperty("from").GetInt64(), second.GetProperty("to").GetInt64(), second.GetProperty("missed").GetInt64()));
        Assert.Equal(new OutboundStats(11, 3, 8, 2, 0, 0, 300), b.Stats);
    }

    [Fact]
    public void Events_after_a_gap_come_after_its_notice()
    {
        var b = new OutboundBuffer(250);
        b.Offer(Event(1));
        b.Offer(Event(2));
        b.Offer(Event(3)); // missed
        var first = TakeAll(b);
        Assert.Equal(3, first.Count);
        Assert.Equal("gap", Lines.Parse(first[2]).GetProperty("type").GetString());
        Assert.Equal(3, Lines.Parse(first[2]).GetProperty("from").GetInt64());

        b.Offer(Event(4));
        var after = TakeAll(b);
        Assert.Single(after);
        Assert.Equal(new OutboundStats(4, 3, 1, 1, 0, 0, 250), b.Stats);
    }

    [Fact]
    public void An_event_larger_than_the_buffer_still_passes_when_the_buffer_is_empty()
    {
        var b = new OutboundBuffer(50);
        b.Offer(Event(1, bytes: 500));
        Assert.Single(TakeAll(b));
        Assert.Equal(0, b.Stats.Missed);
    }

    [Fact]
    public async Task Waiter_wakes_on_offer_and_completion_ends_after_draining()
    {
        var b = new OutboundBuffer(1000);
        var waiting = b.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        b.Offer(Event(1));
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));

        b.Complete();
        Assert.True(await b.WaitAsync(CancellationToken.None)); // the queued event is still delivered
        Assert.Single(TakeAll(b));
        Assert.False(await b.WaitAsync(CancellationToken.None));
        b.Offer(Event(2));
        Assert.Equal(1, b.Stats.Matched);
    }

    [Fact]
    public async Task A_quarter_full_buffer_lags_until_its_reader_takes_nothing_for_the_stall_time()
    {
        var b = new OutboundBuffer(1000, stallTime: TimeSpan.FromMilliseconds(300));
        b.Offer(Event(1));
        Assert.False(b.IsLagging); // 100 of 1000 bytes
        b.Offer(Event(2));
        b.Offer(Event(3));
        Assert.True(b.IsLagging); // 300 bytes: a quarter
        await Task.Delay(500);
        Assert.False(b.IsLagging); // nothing taken for the stall time: stalled, not lagging
        b.TakeInto(new List<byte[]>(), 100);
        Assert.False(b.IsLagging); // reading again, 200 bytes left: below a quarter
        b.Offer(Event(4));
        Assert.True(b.IsLagging);
        b.CatchingUp = true;
        TakeAll(b);
        Assert.True(b.IsLagging); // catching up with an empty buffer is lagging, never stalled
    }

    [Fact]
    public async Task A_shrunk_buffer_keeps_its_lines_takes_nothing_more_and_growing_wakes_a_waiting_producer()
    {
        var b = new OutboundBuffer(1000);
        for (long o = 1; o <= 5; o++) b.Offer(Event(o)); // 500 bytes
        b.Resize(300);
        Assert.Equal(300, b.CapacityBytes);
        Assert.False(b.TryOffer(Event(6)));
        Assert.Equal(500, b.Stats.QueuedBytes);

        var waiting = b.OfferAsync(Event(7), CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        b.Resize(5000); // clamped to the configured 1000
        Assert.Equal(1000, b.CapacityBytes);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(600, b.Stats.QueuedBytes);
    }
}
