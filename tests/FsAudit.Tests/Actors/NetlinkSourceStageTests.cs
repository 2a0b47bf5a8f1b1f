using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Actors;

public sealed class NetlinkSourceStageTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _spillDir = Path.Combine(Path.GetTempPath(), "fsaudit-spill-" + Guid.NewGuid().ToString("N"));
    private readonly IMaterializer _mat;

    public NetlinkSourceStageTests() => _mat = Sys.Materializer();

    private (RecordBuffer Buffer, RecordPump Pump, TestSubscriber.Probe<RecordBatch> Probe) Start(
        IRecordReader reader, int bufferRecords, long bufferBytes = 0, int maxBatch = 256, long segmentBytes = 1 << 20)
    {
        var buffer = new RecordBuffer(bufferRecords, bufferBytes, maxBatch, _spillDir, segmentBytes);
        var pump = new RecordPump(reader, buffer, pollMs: 20);
        var probe = Source.FromGraph(new NetlinkSourceStage(buffer)).RunWith(this.SinkProbe<RecordBatch>(), _mat);
        pump.Start();
        return (buffer, pump, probe);
    }

    private string[] SpillFiles() => Directory.Exists(_spillDir) ? Directory.GetFiles(_spillDir, "spill-*.bin") : [];

    [Fact]
    public void Without_demand_nothing_is_emitted_memory_stays_bounded_and_the_rest_spills_then_all_arrive_in_order()
    {
        const int total = 50_000, capacity = 1_000;
        var reader = new FloodReader(total, perRead: 37);
        var (buffer, pump, probe) = Start(reader, capacity, segmentBytes: 256 << 10);
        probe.EnsureSubscription();

        Assert.True(reader.Finished.Wait(TimeSpan.FromSeconds(20)), "producer did not finish: the reader thread was held up");
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var during = buffer.Snapshot();
        Assert.Equal(total, during.RecordsIn);
        Assert.Equal(0, during.RecordsOut);
        Assert.InRange(during.PeakBufferedRecords, 1, capacity);
        Assert.Equal(total - during.BufferedRecords, during.Spill.SpilledRecords);
        Assert.Equal(during.Spill.SpilledRecords, during.Spill.BacklogRecords);
        Assert.True(during.Spill.SpilledBytes > 0);
        Assert.True(SpillFiles().Length > 1, "spill should roll over into several segment files");

        pump.Stop();
        var serials = new List<uint>(total);
        while (true)
        {
            probe.Request(1);
            var ev = probe.ExpectEvent(TimeSpan.FromSeconds(10));
            if (ev is TestSubscriber.OnComplete) break;
            var batch = Assert.IsType<TestSubscriber.OnNext<RecordBatch>>(ev).Element;
            Assert.InRange(batch.Count, 1, 256);
            foreach (var r in batch.Records) serials.Add(r.Serial);
        }

        Assert.Equal(Enumerable.Range(0, total).Select(i => (uint)i), serials);
        var after = buffer.Snapshot();
        Assert.Equal(total, after.RecordsOut);
        Assert.Equal(0, after.BufferedRecords);
        Assert.Equal(0, after.Spill.BacklogRecords);
        Assert.Equal(0, after.Spill.BacklogBytes);
        Assert.Equal(0, after.DroppedRecords);
        Assert.Empty(SpillFiles());
        Assert.Equal(during.PeakBufferedRecords, after.PeakBufferedRecords);
    }

    [Fact]
    public void Spilled_records_survive_the_round_trip_unchanged()
    {
        var records = new[]
        {
            TestRecords.Make(1300, 7, "arch=c000003e syscall=257 success=yes exit=3 comm=\"cat\""),
            TestRecords.Make(1302, 7, "item=0 name=\"/tmp/Grüße ✓\" inode=12", node: "host-a"),
            TestRecords.Make(1320, 7, ""),
        };
        var reader = new ScriptedReader([records]);
        var (buffer, pump, probe) = Start(reader, bufferRecords: 1); // 3 records > 1: all spill
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(5)));
        AwaitCondition(() => buffer.Snapshot().Spill.SpilledRecords == 3);

        probe.Request(10);
        var got = probe.ExpectNext(TimeSpan.FromSeconds(5)).Records;
        Assert.Equal(records.Length, got.Count);
        for (int i = 0; i < records.Length; i++)
        {
            Assert.Equal(records[i].Type, got[i].Type);
            Assert.Equal(records[i].TimestampMs, got[i].TimestampMs);
            Assert.Equal(records[i].Serial, got[i].Serial);
            Assert.Equal(records[i].Text, got[i].Text);
            Assert.Equal(records[i].FieldsStart, got[i].FieldsStart);
            Assert.Equal(records[i].Node, got[i].Node);
        }
        pump.Stop();
        probe.ExpectComplete();
        Assert.Empty(SpillFiles());
    }

    [Fact]
    public void Byte_bound_also_limits_the_memory_buffer()
    {
        const int total = 2_000;
        var reader = new FloodReader(total, perRead: 10);
        // ~10 records of ~130 chars fit in 4 KiB; the record bound alone would hold everything.
        var (buffer, pump, probe) = Start(reader, bufferRecords: 100_000, bufferBytes: 4096);
        probe.EnsureSubscription();
        Assert.True(reader.Finished.Wait(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => buffer.Snapshot().RecordsIn == total);

        var s = buffer.Snapshot();
        Assert.InRange(s.PeakBufferedBytes, 1, 4096);
        Assert.True(s.Spill.SpilledRecords >= total - 40, $"spilled {s.Spill.SpilledRecords}");

        pump.Stop();
        probe.Request(long.MaxValue);
        var n = 0;
        uint expected = 0;
        foreach (var batch in probe.ToStrict(TimeSpan.FromSeconds(10)))
            foreach (var r in batch.Records) { Assert.Equal(expected++, r.Serial); n++; }
        Assert.Equal(total, n);
    }

    [Fact]
    public void Small_receives_are_merged_into_batches_up_to_the_limit()
    {
        var script = Enumerable.Range(0, 10).Select(i => (IReadOnlyList<AuditRecord>)
            Enumerable.Range(i * 3, 3).Select(s => TestRecords.Make(1300, (uint)s, "a=b")).ToArray());
        var reader = new ScriptedReader(script);
        var (buffer, pump, probe) = Start(reader, bufferRecords: 1000, maxBatch: 7);
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(5)));
        AwaitCondition(() => buffer.Snapshot().RecordsIn == 30);
        pump.Stop();

        probe.Request(100);
        var batches = probe.ToStrict(TimeSpan.FromSeconds(5)).ToList();
        Assert.All(batches, b => Assert.InRange(b.Count, 3, 7));
        Assert.True(batches.Count < 10, $"expected merged batches, got {batches.Count}");
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (uint)i), batches.SelectMany(b => b.Records).Select(r => r.Serial));
        Assert.Equal(Enumerable.Range(0, batches.Count).Select(i => (long)i), batches.Select(b => b.Sequence));
    }

    [Fact]
    public void A_failing_reader_delivers_what_it_read_then_fails_the_stream()
    {
        var records = Enumerable.Range(0, 5).Select(i => TestRecords.Make(1300, (uint)i, "x=1")).ToArray();
        var reader = new ScriptedReader([records], failAtEnd: new IOException("socket gone"));
        var (_, pump, probe) = Start(reader, bufferRecords: 100);
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(5)));

        probe.Request(10);
        Assert.Equal(5, probe.ExpectNext(TimeSpan.FromSeconds(5)).Count);
        var error = probe.ExpectError();
        Assert.Equal("socket gone", error.Message);
        Assert.NotNull(pump.Failure);
    }

    [Fact]
    public void Buffered_bytes_go_back_to_zero_when_merged_receives_are_taken()
    {
        // Each receive's size is counted when it is added and given back when it is taken, also when a take merges
        // several receives into one batch.
        using var buffer = new RecordBuffer(1000, 1 << 20, 100, _spillDir, 1 << 20);
        for (int n = 0; n < 5; n++)
            buffer.Add(Enumerable.Range(n * 3, 3).Select(i => TestRecords.Make(1300, (uint)i, $"a={new string('x', i)}")).ToList());
        var full = buffer.Snapshot();
        Assert.Equal(15, full.BufferedRecords);
        Assert.True(full.BufferedBytes > 15 * 64, $"{full.BufferedBytes} bytes");

        Assert.Equal(TakeResult.Batch, buffer.TryTake(out var batch, out _));
        Assert.Equal(15, batch!.Records.Count); // one merged batch
        var empty = buffer.Snapshot();
        Assert.Equal(0, empty.BufferedRecords);
        Assert.Equal(0, empty.BufferedBytes);
        Assert.Equal(full.BufferedBytes, empty.PeakBufferedBytes);
    }

    [Fact]
    public void Spill_files_left_by_a_previous_run_are_replayed_first_and_a_torn_tail_is_counted()
    {
        // A previous run: everything spilled, nothing consumed, then "crash" (dispose without reading).
        var old = new RecordBuffer(1, 0, 100, _spillDir, 1 << 20);
        old.Add(Enumerable.Range(0, 4).Select(i => TestRecords.Make(1300, (uint)i, "old=1")).ToList());
        old.Add(Enumerable.Range(4, 4).Select(i => TestRecords.Make(1300, (uint)i, "old=1")).ToList());
        old.Dispose();
        var file = Assert.Single(SpillFiles());
        using (var fs = new FileStream(file, FileMode.Open)) fs.SetLength(fs.Length - 3); // torn last record

        var fresh = Enumerable.Range(100, 3).Select(i => TestRecords.Make(1300, (uint)i, "new=1")).ToArray();
        var reader = new ScriptedReader([fresh]);
        var (buffer, pump, probe) = Start(reader, bufferRecords: 1000);
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(5)));
        AwaitCondition(() => buffer.Snapshot().RecordsIn == 3);
        pump.Stop();

        probe.Request(100);
        var serials = probe.ToStrict(TimeSpan.FromSeconds(5)).SelectMany(b => b.Records).Select(r => r.Serial).ToList();
        Assert.Equal(new uint[] { 0, 1, 2, 3, 4, 5, 6, 100, 101, 102 }, serials);
        var s = buffer.Snapshot();
        Assert.Equal(7, s.Spill.RecoveredRecords);
        Assert.Equal(1, s.Spill.TornTails);
        Assert.Empty(SpillFiles());
    }

    private static List<AuditRecord> Records(int from, int count) =>
        Enumerable.Range(from, count).Select(i => TestRecords.Make(1300, (uint)i, "n=1")).ToList();

    /// <summary>Everything a buffer hands out until it has nothing more.</summary>
    private static List<uint> TakeAll(RecordBuffer buffer)
    {
        var serials = new List<uint>();
        while (buffer.TryTake(out var batch, out _) == TakeResult.Batch) serials.AddRange(batch!.Records.Select(r => r.Serial));
        return serials;
    }

    [Fact]
    public void Before_a_consumer_attaches_memory_holds_one_batch_and_the_rest_spills_in_order()
    {
        // The reader starts seconds before the stream: what it reads meanwhile must not sit in memory.
        var buffer = NewBuffer(1000);
        for (int n = 0; n < 6; n++) buffer.Add(Records(n * 50, 50));
        var before = buffer.Snapshot();
        Assert.Equal(100, before.PeakBufferedRecords);
        Assert.Equal(200, before.Spill.SpilledRecords);

        // Attached: memory is used up to its capacity again once the spilled records have been taken.
        buffer.SetWakeup(() => { });
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (uint)i), TakeAll(buffer));
        for (int n = 6; n < 12; n++) buffer.Add(Records(n * 50, 50));
        var after = buffer.Snapshot();
        Assert.Equal(300, after.BufferedRecords);
        Assert.Equal(200, after.Spill.SpilledRecords);
        Assert.Equal(Enumerable.Range(300, 300).Select(i => (uint)i), TakeAll(buffer));
        buffer.Dispose();
        Assert.Empty(SpillFiles());
    }

    [Fact]
    public void Records_still_in_memory_at_disposal_go_to_disk_in_front_of_the_spilled_ones()
    {
        // A start that failed before anything consumed the buffer: 6 records in memory (its capacity), 4 spilled after.
        var failed = NewBuffer(6);
        failed.Add(Records(0, 3));
        failed.Add(Records(3, 3));
        failed.Add(Records(6, 4));
        failed.Dispose();
        Assert.Equal(2, SpillFiles().Length);

        Assert.Equal(10, NextBufferReplaysInOrder(10).Spill.RecoveredRecords);
    }

    [Fact]
    public void Records_in_memory_at_disposal_are_replayed_by_the_next_buffer_even_when_nothing_spilled()
    {
        var failed = NewBuffer(1000);
        failed.Add(Records(0, 5));
        failed.Dispose();
        Assert.Single(SpillFiles());

        // And a second failed start with those still on disk: its records follow them.
        var second = NewBuffer(1000);
        second.Add(Records(5, 2));
        second.Dispose();

        NextBufferReplaysInOrder(7);
    }

    private RecordBuffer NewBuffer(int capacityRecords) => new(capacityRecords, 0, 100, _spillDir, 1 << 20);

    /// <summary>A fresh buffer on the spill directory hands out serials 0..count-1 in order and leaves no file behind.</summary>
    private BufferStats NextBufferReplaysInOrder(int count)
    {
        var next = NewBuffer(1000);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (uint)i), TakeAll(next));
        var stats = next.Snapshot();
        next.Dispose();
        Assert.Empty(SpillFiles());
        return stats;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(_spillDir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
