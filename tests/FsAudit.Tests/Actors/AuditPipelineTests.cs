using System.Collections.Concurrent;
using Akka.Configuration;
using FsAudit.Actors.Correlation;
using FsAudit.Actors.Events;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Records;
using Xunit;
using Xunit.Abstractions;

namespace FsAudit.Tests.Actors;

public sealed class AuditPipelineTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config TestConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.deployment {
          /correlators { router = consistent-hashing-pool, nr-of-instances = 4 }
          /rr { router = round-robin-pool, nr-of-instances = 2 }
          /resized { router = consistent-hashing-pool, nr-of-instances = 2, resizer { enabled = on, lower-bound = 1, upper-bound = 4 } }
        }
        """);

    private readonly string _spillDir = Path.Combine(Path.GetTempPath(), "fsaudit-pipe-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _out;

    public AuditPipelineTests(ITestOutputHelper output) : base(TestConfig, output: output) => _out = output;

    private PipelineSettings Settings(int bufferRecords = 10_000) => new()
    {
        SpillDirectory = _spillDir,
        BufferRecords = bufferRecords,
        MaxBatchRecords = 512,
        ReadPollMs = 10,
        ExpireInterval = TimeSpan.FromMilliseconds(50),
        SpillSegmentBytes = 256 << 10,
    };

    private static CorrelationSetup<TestEvent> Setup(AssemblerLog log, long timeoutMs = 3_600_000, Func<AuditRecord, bool>? throwOn = null) =>
        new(() => new EoeAssembler(log, timeoutMs, throwOn), e => e.Serial);

    /// <summary>
    /// Events of 2-6 records (SYSCALL, PATHs, EOE) with up to <paramref name="window"/> events interleaved,
    /// like several CPUs emitting at once. Returns the records in arrival order and each serial's records.
    /// </summary>
    private static (List<AuditRecord> Stream, Dictionary<uint, List<AuditRecord>> BySerial) Interleaved(int events, int window, int seed, uint firstSerial = 1000)
    {
        var rnd = new Random(seed);
        var bySerial = new Dictionary<uint, List<AuditRecord>>();
        var pending = new List<Queue<AuditRecord>>();
        var stream = new List<AuditRecord>();
        uint next = firstSerial;
        int started = 0;
        while (started < events || pending.Count > 0)
        {
            while (pending.Count < window && started < events)
            {
                uint s = next++;
                started++;
                var recs = new List<AuditRecord> { TestRecords.Make(1300, s, $"syscall=257 success=yes s={s}") };
                int paths = rnd.Next(0, 5);
                for (int p = 0; p < paths; p++) recs.Add(TestRecords.Make(1302, s, $"item={p} name=\"/tmp/f{s}\""));
                recs.Add(TestRecords.Make(1320, s, ""));
                bySerial[s] = recs;
                pending.Add(new Queue<AuditRecord>(recs));
            }
            int i = rnd.Next(pending.Count);
            stream.Add(pending[i].Dequeue());
            if (pending[i].Count == 0) pending.RemoveAt(i);
        }
        return (stream, bySerial);
    }

    /// <summary>Records read back from spill are new objects: compare what they say.</summary>
    private static IEnumerable<string> Texts(IEnumerable<AuditRecord> records) => records.Select(r => $"{r.Type} {r.Text}");

    private static IEnumerable<IReadOnlyList<AuditRecord>> Chunks(List<AuditRecord> stream, int size) =>
        stream.Chunk(size).Select(c => (IReadOnlyList<AuditRecord>)c);

    [Fact]
    public async Task Records_of_one_serial_reach_one_correlator_and_interleaved_events_complete()
    {
        var (stream, bySerial) = Interleaved(events: 3000, window: 8, seed: 1);
        var log = new AssemblerLog();
        var got = new ConcurrentQueue<TestEvent>();
        var reader = new ScriptedReader(Chunks(stream, 37));
        var pipeline = AuditPipeline.Start(Sys, Settings(), reader, EventSink.ForEach<TestEvent>(b => { foreach (var e in b) got.Enqueue(e); }), Setup(log));

        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => got.Count == bySerial.Count, TimeSpan.FromSeconds(10));
        await pipeline.StopAsync();

        Assert.Empty(log.Conflicts);
        var events = got.ToList();
        Assert.Equal(bySerial.Count, events.Count);
        Assert.All(events, e =>
        {
            Assert.True(e.Complete);
            Assert.Equal(Texts(bySerial[e.Serial]), Texts(e.Records)); // all its records, in arrival order
        });
        // Every routee did work, and each one's events came out in the order it completed them.
        Assert.Equal(4, events.Select(e => e.AssemblerId).Distinct().Count());
        foreach (var group in events.GroupBy(e => e.AssemblerId))
            Assert.Equal(log.EoeOrder[group.Key], group.Select(e => e.Serial));

        var m = pipeline.Metrics;
        Assert.Equal(stream.Count, m.RecordsRead);
        Assert.Equal(stream.Count, m.CorrelatedRecords);
        Assert.Equal(bySerial.Count, m.Events);
        Assert.Equal(0, m.EventsInFlightNow);
        Assert.Equal(0, m.CorrelatorFailures);
    }

    [Fact]
    public async Task Stop_flushes_events_in_flight_before_the_sink_completes()
    {
        // Events without EOE: only the flush at stop (timeout is an hour) can complete them.
        var noEoe = Enumerable.Range(0, 50).SelectMany(s => new[]
        {
            TestRecords.Make(1300, (uint)s, "syscall=87"),
            TestRecords.Make(1302, (uint)s, "item=0"),
        }).ToList();
        var (complete, _) = Interleaved(events: 20, window: 3, seed: 2, firstSerial: 5000);
        var log = new AssemblerLog();
        var timeline = new ConcurrentQueue<string>();
        var events = new ConcurrentQueue<TestEvent>();
        var sink = EventSink.From(Akka.Streams.Dsl.Sink.ForEach<IReadOnlyList<TestEvent>>(b =>
        {
            foreach (var e in b) { events.Enqueue(e); timeline.Enqueue(e.Complete ? "complete" : "flushed"); }
        }).MapMaterializedValue(t => (Task)t.ContinueWith(_ => timeline.Enqueue("sink-completed"), TaskScheduler.Default)));

        var reader = new ScriptedReader(Chunks(noEoe.Concat(complete).ToList(), 16));
        var pipeline = AuditPipeline.Start(Sys, Settings(), reader, sink, Setup(log));
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => events.Count == 20, TimeSpan.FromSeconds(10));
        AwaitCondition(() => pipeline.Metrics.EventsInFlightNow == 50, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("flushed", timeline);

        await pipeline.StopAsync();

        var t = timeline.ToList();
        Assert.Equal("sink-completed", t[^1]);
        Assert.Equal(50, t.Count(x => x == "flushed"));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)i), events.Where(e => !e.Complete).Select(e => e.Serial).Order());
        Assert.All(events.Where(e => !e.Complete), e => Assert.Equal(2, e.Records.Count));
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
        Assert.True(reader is { } && log.Conflicts.IsEmpty);
    }

    [Fact]
    public async Task A_failing_reader_still_gets_its_events_out_then_the_pipeline_faults()
    {
        var records = new[] { TestRecords.Make(1300, 9, "syscall=2"), TestRecords.Make(1302, 9, "item=0") }; // no EOE
        var events = new ConcurrentQueue<TestEvent>();
        var reader = new ScriptedReader([records], failAtEnd: new IOException("recv: EBADF"));
        var pipeline = AuditPipeline.Start(Sys, Settings(), reader, EventSink.ForEach<TestEvent>(b => { foreach (var e in b) events.Enqueue(e); }), Setup(new AssemblerLog()));

        var error = await Assert.ThrowsAsync<IOException>(() => pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("recv: EBADF", error.Message);
        var flushed = Assert.Single(events);
        Assert.Equal(9u, flushed.Serial);
        Assert.False(flushed.Complete);
        Assert.Equal("recv: EBADF", pipeline.Metrics.ReaderFailure);
        await Assert.ThrowsAsync<IOException>(pipeline.StopAsync);
    }

    [Fact]
    public void Timed_out_events_are_delivered_while_the_pipeline_is_idle()
    {
        var log = new AssemblerLog();
        var events = new ConcurrentQueue<TestEvent>();
        var reader = new ScriptedReader([[TestRecords.Make(1300, 77, "syscall=2"), TestRecords.Make(1302, 77, "item=0")]]);
        var pipeline = AuditPipeline.Start(Sys, Settings(), reader, EventSink.ForEach<TestEvent>(b => { foreach (var e in b) events.Enqueue(e); }), Setup(log, timeoutMs: 200));

        AwaitCondition(() => events.Count == 1, TimeSpan.FromSeconds(5));
        var e = Assert.Single(events);
        Assert.False(e.Complete);
        Assert.Equal(77u, e.Serial);
        pipeline.StopAsync().Wait(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_slow_sink_backs_up_into_memory_then_spill_and_nothing_is_lost()
    {
        var (stream, bySerial) = Interleaved(events: 6000, window: 4, seed: 3);
        var gate = new ManualResetEventSlim(false);
        var events = new ConcurrentQueue<TestEvent>();
        var reader = new ScriptedReader(Chunks(stream, 64));
        var pipeline = AuditPipeline.Start(Sys, Settings(bufferRecords: 1_000), reader,
            EventSink.ForEach<TestEvent>(b => { gate.Wait(); foreach (var e in b) events.Enqueue(e); }), Setup(new AssemblerLog()));

        // The sink is stuck: the reader must still finish, memory must stay bounded, the rest must spill.
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)), "the reader was held up by a slow sink");
        AwaitCondition(() => pipeline.Metrics.RecordsRead == stream.Count, TimeSpan.FromSeconds(5));
        var during = pipeline.Metrics;
        _out.WriteLine($"while blocked: buffered {during.BufferedRecordsNow} (peak {during.BufferedRecordsPeak}), spilled {during.SpilledRecords} records / {during.SpilledBytes} bytes in {during.SpillFilesNow} files, emitted {during.RecordsEmitted}");
        Assert.InRange(during.BufferedRecordsPeak, 1, 1_000);
        Assert.True(during.SpilledRecords > stream.Count / 2, $"spilled only {during.SpilledRecords}");
        Assert.True(during.RecordsEmitted < stream.Count / 2, $"emitted {during.RecordsEmitted} despite a blocked sink");
        Assert.NotEmpty(Directory.GetFiles(_spillDir));

        gate.Set();
        AwaitCondition(() => events.Count == bySerial.Count, TimeSpan.FromSeconds(20));
        await pipeline.StopAsync();

        Assert.Equal(bySerial.Keys.Order(), events.Select(e => e.Serial).Order());
        Assert.All(events, e => Assert.Equal(Texts(bySerial[e.Serial]), Texts(e.Records)));
        var after = pipeline.Metrics;
        Assert.Equal(0, after.DroppedRecords);
        Assert.Equal(0, after.SpillBacklogRecordsNow);
        Assert.Empty(Directory.GetFiles(_spillDir));
    }

    [Fact]
    public async Task Records_read_before_the_stream_starts_wait_in_memory_and_spill_and_all_come_out()
    {
        var (stream, bySerial) = Interleaved(events: 4000, window: 4, seed: 5);
        var events = new ConcurrentQueue<TestEvent>();
        var reader = new ScriptedReader(Chunks(stream, 64));
        // The daemon's start: reading (and the kernel's rules) first, the actor system and journal afterwards.
        var intake = AuditPipeline.StartReading(Settings(bufferRecords: 1_000), reader);
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)), "the reader waited for a consumer");
        AwaitCondition(() => intake.RecordsRead == stream.Count, TimeSpan.FromSeconds(5));
        Assert.NotEmpty(Directory.GetFiles(_spillDir)); // beyond the 1,000 records of memory

        var pipeline = AuditPipeline.Start(Sys, Settings(bufferRecords: 1_000), intake,
            EventSink.ForEach<TestEvent>(b => { foreach (var e in b) events.Enqueue(e); }), Setup(new AssemblerLog()));
        AwaitCondition(() => events.Count == bySerial.Count, TimeSpan.FromSeconds(20));
        await pipeline.StopAsync();

        Assert.Equal(bySerial.Keys.Order(), events.Select(e => e.Serial).Order());
        Assert.All(events, e => Assert.Equal(Texts(bySerial[e.Serial]), Texts(e.Records)));
        Assert.Equal(stream.Count, pipeline.Metrics.RecordsRead);
        Assert.Equal(0, pipeline.Metrics.DroppedRecords);
    }

    [Fact]
    public void An_intake_that_is_never_started_stops_reading_when_disposed()
    {
        var reader = new ScriptedReader(Chunks(Interleaved(events: 10, window: 1, seed: 6).Stream, 4));
        var intake = AuditPipeline.StartReading(Settings(), reader);
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)));
        intake.Dispose();
        Assert.True(reader.Disposed);
        int reads = reader.Reads;
        Thread.Sleep(50); // the reader thread polls every 10 ms while it runs
        Assert.Equal(reads, reader.Reads);
    }

    [Fact]
    public async Task A_failing_assembler_is_counted_and_the_other_events_still_flow()
    {
        var (stream, bySerial) = Interleaved(events: 100, window: 2, seed: 4);
        var events = new ConcurrentQueue<TestEvent>();
        var reader = new ScriptedReader(Chunks(stream, 10));
        var pipeline = AuditPipeline.Start(Sys, Settings(), reader, EventSink.ForEach<TestEvent>(b => { foreach (var e in b) events.Enqueue(e); }),
            Setup(new AssemblerLog(), throwOn: r => r.Serial == 1010 && r.Type == 1320));
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => events.Count == 99, TimeSpan.FromSeconds(10));
        await pipeline.StopAsync();

        Assert.Equal(1, pipeline.Metrics.CorrelatorFailures);
        // Serial 1010 lost its EOE: completed incomplete at flush; everything else complete.
        Assert.False(events.Single(e => e.Serial == 1010).Complete);
        Assert.Equal(bySerial.Count, events.Count);
    }

    [Theory]
    [InlineData("rr", "consistent-hashing-pool")]
    [InlineData("resized", "resizer")]
    [InlineData("not-deployed", "consistent-hashing-pool")]
    public void Start_refuses_a_correlator_pool_that_could_split_a_serial(string name, string expectedMessage)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => AuditPipeline.Start(Sys, Settings() with { CorrelatorsName = name },
            new ScriptedReader([]), EventSink.ForEach<TestEvent>(_ => { }), Setup(new AssemblerLog())));
        Assert.Contains(expectedMessage, ex.Message);
        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void Merge_orders_answers_by_serial_across_rollover_and_keeps_each_answer_in_order()
    {
        static TestEvent E(uint s) => new(s, 0, [], true);
        var a = new List<TestEvent> { E(uint.MaxValue - 1), E(1), E(4) };
        var b = new List<TestEvent> { E(uint.MaxValue), E(0), E(3) };
        var c = new List<TestEvent> { E(7), E(2) }; // out of serial order within one correlator: kept
        var merged = CorrelateStage<TestEvent>.Merge([a, b, c], e => e.Serial).Select(e => e.Serial).ToList();
        Assert.Equal(new uint[] { uint.MaxValue - 1, uint.MaxValue, 0, 1, 3, 4, 7, 2 }, merged);
    }

    [Fact]
    public async Task Throughput_report()
    {
        // Not a timed assertion: prints records/s through reader thread → stage → 4 correlators → sink.
        var (stream, bySerial) = Interleaved(events: 100_000, window: 8, seed: 5);
        long events = 0;
        var reader = new ScriptedReader(Chunks(stream, 256));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var pipeline = AuditPipeline.Start(Sys, Settings(bufferRecords: 100_000) with { MaxBatchRecords = 4096 }, reader,
            EventSink.ForEach<TestEvent>(b => Interlocked.Add(ref events, b.Count)), Setup(new AssemblerLog()));
        AwaitCondition(() => Interlocked.Read(ref events) == bySerial.Count, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(5));
        sw.Stop();
        await pipeline.StopAsync();
        var m = pipeline.Metrics;
        _out.WriteLine($"{stream.Count} records, {bySerial.Count} events in {sw.Elapsed.TotalMilliseconds:F0} ms: " +
                       $"{stream.Count / sw.Elapsed.TotalSeconds:F0} records/s; batches {m.Batches}, peak buffered {m.BufferedRecordsPeak}, spilled {m.SpilledRecords}");
        Assert.Equal(bySerial.Count, m.Events);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(_spillDir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

public sealed class AuditPipelineEngineTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _spillDir = Path.Combine(Path.GetTempPath(), "fsaudit-pipe-" + Guid.NewGuid().ToString("N"));

    public AuditPipelineEngineTests() : base(ConfigurationFactory.ParseString(
        "akka.actor.deployment./correlators { router = consistent-hashing-pool, nr-of-instances = 3 }")) { }

    [Fact]
    public async Task The_engine_correlator_assembles_interleaved_kernel_events_and_gaps_are_tracked_before_routing()
    {
        // 3000 serials, interleaved 6 at a time; serial 1500 never arrives (kernel-side loss).
        var rnd = new Random(11);
        var open = new List<Queue<AuditRecord>>();
        var stream = new List<AuditRecord>();
        uint next = 1;
        while (next <= 3000 || open.Count > 0)
        {
            while (open.Count < 6 && next <= 3000)
            {
                uint s = next++;
                if (s == 1500) continue;
                var q = new Queue<AuditRecord>();
                q.Enqueue(TestRecords.Make(1300, s, $"arch=c000003e syscall=257 success=yes exit=3 items=1 ppid=1 pid={s} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"t\" exe=\"/bin/t\" key=(null)"));
                q.Enqueue(TestRecords.Make(1307, s, "cwd=\"/tmp\""));
                q.Enqueue(TestRecords.Make(1302, s, $"item=0 name=\"/tmp/f{s}\" inode=1 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE"));
                q.Enqueue(TestRecords.Make(1320, s, ""));
                open.Add(q);
            }
            int i = rnd.Next(open.Count);
            stream.Add(open[i].Dequeue());
            if (open[i].Count == 0) open.RemoveAt(i);
        }

        var events = new System.Collections.Concurrent.ConcurrentQueue<FsAudit.Engine.Events.AuditEvent>();
        var reader = new ScriptedReader(stream.Chunk(50).Select(c => (IReadOnlyList<AuditRecord>)c));
        var pipeline = AuditPipeline.Start(Sys, new PipelineSettings { SpillDirectory = _spillDir, ReadPollMs = 10 }, reader,
            EventSink.ForEach<FsAudit.Engine.Events.AuditEvent>(b => { foreach (var e in b) events.Enqueue(e); }));
        Assert.True(reader.Drained.Wait(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => events.Count == 2999, TimeSpan.FromSeconds(10));
        await pipeline.StopAsync();

        Assert.Equal(2999, events.Count);
        Assert.Equal(Enumerable.Range(1, 3000).Where(s => s != 1500).Select(s => (uint)s), events.Select(e => e.Serial).Order());
        Assert.All(events, e =>
        {
            Assert.False(e.Incomplete);
            Assert.Equal(new ushort[] { 1300, 1307, 1302 }, e.RecordTypes);
            Assert.Equal((int)e.Serial, e.Pid);
        });
        var m = pipeline.Metrics;
        Assert.Equal(1, m.PossiblyLostSerials);
        Assert.Equal(0, m.IncompleteEvents);
        Assert.Equal(0, m.CorrelatorFailures);
        Assert.Equal(stream.Count, m.CorrelatedRecords);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(_spillDir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
