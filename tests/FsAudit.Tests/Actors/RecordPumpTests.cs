using System.Diagnostics;
using FsAudit.Actors.Correlation;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Actors;

public sealed class RecordPumpTests : IDisposable
{
    private readonly string _spillDir = Path.Combine(Path.GetTempPath(), "fsaudit-pump-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_spillDir)) Directory.Delete(_spillDir, recursive: true);
    }

    private RecordBuffer Buffer() => new(100_000, 0, 4096, _spillDir, 1 << 20);

    [Fact]
    public void The_reader_thread_alone_gets_the_configured_nice_value()
    {
        // Raising nice needs no privilege, so this works as any user; 19 is the weakest priority.
        using var buffer = Buffer();
        var reader = new ThreadProbeReader();
        var pump = new RecordPump(reader, buffer, pollMs: 5, niceValue: 19);
        pump.Start();
        Assert.True(reader.Seen.Wait(TimeSpan.FromSeconds(5)));
        pump.Dispose();

        Assert.Null(pump.NiceFailure);
        Assert.Equal(19, pump.ReaderNice);
        Assert.Equal(19, reader.NiceInReader);
        Assert.NotEqual(19, ThreadNice.CurrentThread()); // the test's own thread kept its value
    }

    [Fact]
    public void Nice_zero_leaves_the_inherited_value()
    {
        using var buffer = Buffer();
        var reader = new ThreadProbeReader();
        var pump = new RecordPump(reader, buffer, pollMs: 5, niceValue: 0);
        pump.Start();
        Assert.True(reader.Seen.Wait(TimeSpan.FromSeconds(5)));
        pump.Dispose();

        Assert.Null(pump.NiceFailure);
        Assert.Equal(ThreadNice.CurrentThread(), pump.ReaderNice);
    }

    [Fact]
    public void After_a_small_read_the_reader_waits_the_coalescing_interval_and_a_full_batch_reads_again_at_once()
    {
        // One record per read: with 40 ms coalescing there can be at most one read per 40 ms.
        using var small = Buffer();
        var trickle = new FloodReader(long.MaxValue, perRead: 1);
        var pump = new RecordPump(trickle, small, pollMs: 5, coalesceMs: 40, coalesceBelowRecords: 10);
        var clock = Stopwatch.StartNew();
        pump.Start();
        Thread.Sleep(400);
        pump.Stop();
        double elapsedMs = clock.Elapsed.TotalMilliseconds;
        Assert.InRange(pump.ReadCalls, 1, (long)(elapsedMs / 40) + 1);
        Assert.Equal(pump.ReadCalls, pump.Records);

        // Reads of a full batch (10 records, the threshold) never wait: many more reads in the same time.
        using var full = Buffer();
        var flood = new FloodReader(20_000, perRead: 10);
        var fast = new RecordPump(flood, full, pollMs: 5, coalesceMs: 40, coalesceBelowRecords: 10);
        fast.Start();
        Assert.True(flood.Finished.Wait(TimeSpan.FromSeconds(10)), "full reads were held up by the coalescing sleep");
        fast.Stop();
        Assert.Equal(20_000, fast.Records);
    }

    [Fact]
    public void A_read_that_filled_the_readers_buffer_is_followed_at_once_even_when_it_is_short_of_a_batch()
    {
        // One record per read, below the batch threshold of 10, but the reader says its buffer filled (the socket holds
        // more): no coalescing sleep, so 2,000 records go through far faster than one read per 40 ms would allow.
        using var buffer = Buffer();
        var burst = new FloodReader(2_000, perRead: 1, filled: true);
        var pump = new RecordPump(burst, buffer, pollMs: 5, coalesceMs: 40, coalesceBelowRecords: 10);
        pump.Start();
        Assert.True(burst.Finished.Wait(TimeSpan.FromSeconds(10)), "reads after a full buffer were held up by the coalescing sleep");
        pump.Stop();
        Assert.Equal(2_000, pump.Records);
    }

    [Fact]
    public void The_longest_gap_between_reads_counts_the_coalescing_sleep_and_not_the_time_inside_a_read()
    {
        // One record per read and 40 ms coalescing: every gap between reads is at least the sleep.
        using var small = Buffer();
        var pump = new RecordPump(new FloodReader(long.MaxValue, perRead: 1), small, pollMs: 5, coalesceMs: 40, coalesceBelowRecords: 10);
        Assert.Equal(TimeSpan.Zero, pump.LongestGap);
        var clock = Stopwatch.StartNew();
        pump.Start();
        Thread.Sleep(300);
        pump.Stop();
        Assert.InRange(pump.LongestGap.TotalMilliseconds, 39, clock.Elapsed.TotalMilliseconds);

        // Reads that each take 300 ms, without coalescing: the time spent reading is not a gap.
        using var other = Buffer();
        var slow = new SlowReader(TimeSpan.FromMilliseconds(300));
        var reading = new RecordPump(slow, other, pollMs: 5);
        reading.Start();
        Assert.True(slow.Reads.Wait(TimeSpan.FromSeconds(10)), "the reader never read three times");
        reading.Stop();
        Assert.InRange(reading.LongestGap.TotalMilliseconds, 0, 299);
    }

    /// <summary>Each read takes <c>duration</c> and returns one record; <see cref="Reads"/> is set after the third.</summary>
    private sealed class SlowReader(TimeSpan duration) : IRecordReader
    {
        private int _reads;
        public ManualResetEventSlim Reads { get; } = new(false);

        public int Read(List<AuditRecord> into, int timeoutMs)
        {
            Thread.Sleep(duration);
            into.Add(TestRecords.Make(1300, (uint)_reads, "arch=c000003e syscall=257 success=yes"));
            if (++_reads >= 3) Reads.Set();
            return 1;
        }

        public void Dispose() { }
    }

    [Fact]
    public void Settings_reject_out_of_range_reader_knobs()
    {
        var ok = new PipelineSettings { SpillDirectory = _spillDir };
        ok.Validate();
        Assert.Throws<ArgumentException>(() => (ok with { ReadCoalesceMs = -1 }).Validate());
        Assert.Throws<ArgumentException>(() => (ok with { ReadCoalesceMs = 101 }).Validate());
        Assert.Throws<ArgumentException>(() => (ok with { ReaderNice = -21 }).Validate());
        Assert.Throws<ArgumentException>(() => (ok with { ReaderNice = 20 }).Validate());
    }

    [Fact]
    public void Every_serial_has_one_fixed_correlator_and_consecutive_serials_spread_over_all()
    {
        for (int n = 1; n <= 5; n++)
        {
            var used = new HashSet<int>();
            for (uint s = uint.MaxValue - 50; s != 50; s++)
            {
                int r = CorrelateStage<object>.RouteeOf(s, n);
                Assert.InRange(r, 0, n - 1);
                Assert.Equal(r, CorrelateStage<object>.RouteeOf(s, n));
                used.Add(r);
            }
            Assert.Equal(n, used.Count);
        }
    }

    /// <summary>Reports the nice value seen on the thread that calls Read, then returns nothing.</summary>
    private sealed class ThreadProbeReader : IRecordReader
    {
        public ManualResetEventSlim Seen { get; } = new(false);
        public int? NiceInReader { get; private set; }

        public int Read(List<AuditRecord> into, int timeoutMs)
        {
            if (!Seen.IsSet)
            {
                NiceInReader = ThreadNice.CurrentThread();
                Seen.Set();
            }
            Thread.Sleep(timeoutMs);
            return 0;
        }

        public void Dispose() { }
    }
}
