using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using FsAudit.Actors.Persistence;
using FsAudit.Engine.Events;
using Xunit;

namespace FsAudit.Tests.Persistence;

public sealed class JournalBatcherTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly IMaterializer _mat;

    public JournalBatcherTests() => _mat = Sys.Materializer();

    private (TestPublisher.Probe<IReadOnlyList<AuditEvent>> In, TestSubscriber.Probe<IReadOnlyList<AuditEvent>> Out) Run(
        int maxEvents, int catchUpEvents, long maxBytes = 1L << 30) =>
        this.SourceProbe<IReadOnlyList<AuditEvent>>()
            .Via(new JournalBatcher(maxEvents, catchUpEvents, maxBytes))
            .ToMaterialized(this.SinkProbe<IReadOnlyList<AuditEvent>>(), Keep.Both)
            .Run(_mat);

    private static List<AuditEvent> Events(long from, int count) => SampleEvents.Range(from, count);

    private static long[] Serials(IEnumerable<IReadOnlyList<AuditEvent>> writes) => writes.SelectMany(w => w).Select(e => (long)e.Serial).ToArray();

    [Fact]
    public void When_the_journal_waits_a_pipeline_batch_up_to_max_events_is_one_write_as_it_is()
    {
        var (input, output) = Run(maxEvents: 100, catchUpEvents: 10);
        for (int i = 0; i < 3; i++)
        {
            output.Request(1);
            var batch = Events(i * 100, 60 + i * 20); // 60, 80, 100: all above catch-up-events, none above max-events
            input.SendNext(batch);
            Assert.Same(batch, output.ExpectNext());
        }
        input.SendComplete();
        output.Request(1);
        output.ExpectComplete();
    }

    [Fact]
    public void When_the_journal_is_behind_batches_wait_up_to_catch_up_events_and_leave_merged_in_one_write_in_order()
    {
        List<AuditEvent>[] batches = [Events(0, 10), Events(10, 30), Events(40, 7)];
        int taken = 0;
        IEnumerable<IReadOnlyList<AuditEvent>> Upstream()
        {
            foreach (var b in batches)
            {
                Interlocked.Increment(ref taken);
                yield return b;
            }
        }
        var output = Source.From(Upstream())
            .Via(new JournalBatcher(maxEvents: 100, catchUpEvents: 25, maxBytes: 1L << 30))
            .RunWith(this.SinkProbe<IReadOnlyList<AuditEvent>>(), _mat);
        output.EnsureSubscription();

        // Nothing asked downstream: the stage takes batches until catch-up-events (25) wait, then stops.
        AwaitCondition(() => Volatile.Read(ref taken) >= 2, TimeSpan.FromSeconds(5));
        output.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.InRange(Volatile.Read(ref taken), 2, 3); // 40 waiting; the third is not needed yet

        output.Request(1);
        var w1 = output.ExpectNext();
        Assert.Equal(40, w1.Count); // everything that waited, merged across the first two batches: one write, not 25 + 15
        output.Request(10);
        var w2 = output.ExpectNext();
        Assert.Equal(7, w2.Count);
        output.ExpectComplete(); // what waited went out before completion
        Assert.Equal(batches.SelectMany(b => b).Select(e => (long)e.Serial), Serials([w1, w2]));
    }

    [Fact]
    public void A_batch_above_max_events_is_cut_even_when_the_journal_waits()
    {
        var (input, output) = Run(maxEvents: 40, catchUpEvents: 16);
        output.Request(1);
        var big = Events(0, 100);
        input.SendNext(big);
        var w1 = output.ExpectNext();
        Assert.Equal(40, w1.Count); // the journal waited: max-events
        input.SendComplete();
        output.Request(10);
        var rest = new[] { output.ExpectNext(), output.ExpectNext() };
        Assert.Equal([40, 20], rest.Select(w => w.Count)); // what waited leaves in writes of up to max-events
        output.ExpectComplete();
        Assert.Equal(big.Select(e => (long)e.Serial), Serials(rest.Prepend(w1)));
    }

    [Fact]
    public void Max_bytes_cuts_writes_but_every_write_has_at_least_one_event()
    {
        long perEvent = JournalBatcher.TextBytes(SampleEvents.Make(0));
        var (input, output) = Run(maxEvents: 100, catchUpEvents: 100, maxBytes: perEvent * 3 + perEvent / 2);
        output.Request(1);
        var batch = Events(0, 8);
        input.SendNext(batch);
        Assert.Equal(3, output.ExpectNext().Count); // 8 events do not fit 3.5 events' bytes: cut at 3
        input.SendComplete();
        output.Request(10);
        Assert.Equal(3, output.ExpectNext().Count);
        Assert.Equal(2, output.ExpectNext().Count);
        output.ExpectComplete();

        // A single event above max-bytes still goes (alone): the limit cuts writes, it never drops events.
        var (input2, output2) = Run(maxEvents: 100, catchUpEvents: 100, maxBytes: 1);
        output2.Request(10);
        input2.SendNext(Events(0, 2));
        Assert.Single(output2.ExpectNext());
        Assert.Single(output2.ExpectNext());
    }

    [Fact]
    public void Empty_batches_are_not_written_and_failures_pass_through()
    {
        var (input, output) = Run(maxEvents: 10, catchUpEvents: 5);
        output.Request(1);
        input.SendNext(Array.Empty<AuditEvent>());
        output.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var boom = new IOException("pipeline failed");
        input.SendError(boom);
        Assert.Same(boom, output.ExpectError());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(10, 0)]
    [InlineData(10, 11)]
    public void Limits_out_of_range_are_refused(int maxEvents, int catchUpEvents) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new JournalBatcher(maxEvents, catchUpEvents, 1 << 20));
}
