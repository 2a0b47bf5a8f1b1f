using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using FsAudit.Actors.Events;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Pipeline;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using FsAudit.PipelineBench;

// PipelineBench: CPU cost of the daemon's hot path (netlink buffer → records → correlators → events) without a kernel.
//   dotnet run -c Release --project bench/PipelineBench -- [--records N] [--rate R] [--per-read K] [--stages a,b]
//      [--correlators N] [--in-flight N] [--coalesce MS] [--nice N] [--fixture PATH] [--repeat N]
//      [--compression zstd|zlib|none] [--zstd-level L]
// Kernel-shaped input: the records of tests/FsAudit.Tests/fixtures/kernel-ops.netlink, replicated with increasing
// serials, framed as netlink datagrams into a receive buffer (as AuditNetlinkSocket.Receive leaves them), K records
// per read (or, with --rate R records/s, as many as are due, like a reader keeping up with the kernel).
// Stages, each measured on its own:
//   gen       framing only (the harness's stand-in for recv: subtract it)
//   parse     + NetlinkMessageReader + RecordParser.TryParseKernel (the reader thread's work)
//   correlate + Correlator and EventBuilder on the same thread (the engine's floor, no actors)
//   describe  + each event's filter facts (AuditEventView.Describe: its name, classes, paths), the part of publish before the line
//   publish   + each event serialized into its subscriber line (the hub's PublishedEventWriter, empty class catalog):
//             publish − describe is the line's JSON
//   encode    + events encoded into full journal batches of `journal.batch.max-events` (EventBatchEncoder; --journal-batch N;
//             --compression, default zstd at the default level as configured by default; --zstd-level L); also prints the
//             payload bytes per event
//   encode-raw  the same without compression (compression = none)
//   write     encode + each batch appended to a fresh SQLite journal through JournalWriter (Akka.Persistence.Sql, linq2db),
//             one write at a time as the journal sink does; write − encode is the database write; also prints the CPU per
//             write (--journal-hocon "KEY = VALUE" adds HOCON in front of the journal's, e.g. the plugin's use-clone-connection)
//   pipeline  the real AuditPipeline (reader thread, RecordBuffer, source stage, correlator pool) into a counting sink
// Reports records/s, events/s, CPU µs per event (Process.TotalProcessorTime), bytes allocated per event, GC counts.

long records = 3_000_000;
double rate = 0;
int perRead = 256;
int correlators = 2;
int repeat = 1;
var defaults = new PipelineSettings { SpillDirectory = "x" };
int inFlight = defaults.MaxBatchesInFlight, coalesce = defaults.ReadCoalesceMs, nice = defaults.ReaderNice;
string fixture = FindFixture();
string? pipelineNote = null;
var compression = JournalCompression.Zstd;
int zstdLevel = EventBatchCodec.DefaultZstdLevel;
int journalBatch = new JournalSettings().MaxBatchEvents;
var encoded = new long[2]; // payload bytes, events of the last measured encode stage
var stages = new List<string> { "gen", "parse", "correlate", "pipeline" };
string? journalHocon = null;
var writes = new long[1]; // journal writes of the last measured write stage
for (int i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--records": records = long.Parse(args[++i]); break;
        case "--rate": rate = double.Parse(args[++i]); break;
        case "--per-read": perRead = int.Parse(args[++i]); break;
        case "--correlators": correlators = int.Parse(args[++i]); break;
        case "--fixture": fixture = args[++i]; break;
        case "--stages": stages = args[++i].Split(',').ToList(); break;
        case "--repeat": repeat = int.Parse(args[++i]); break;
        case "--in-flight": inFlight = int.Parse(args[++i]); break;
        case "--coalesce": coalesce = int.Parse(args[++i]); break;
        case "--nice": nice = int.Parse(args[++i]); break;
        case "--compression": compression = Enum.Parse<JournalCompression>(args[++i], ignoreCase: true); break;
        case "--zstd-level": zstdLevel = int.Parse(args[++i]); break;
        case "--journal-batch": journalBatch = int.Parse(args[++i]); break;
        case "--journal-hocon": journalHocon = args[++i]; break;
    }
}

var template = RecordTemplate.Load(fixture);
Console.WriteLine($"input: {fixture}: {template.Count} kernel records per copy, {template.EventsPerCopy} events per copy; " +
                  $"{records:N0} records, {(rate > 0 ? $"paced at {rate:N0} records/s" : $"{perRead} records per read")}");
Console.WriteLine($"runtime {Environment.Version}, cores {Environment.ProcessorCount}, server GC {System.Runtime.GCSettings.IsServerGC}, " +
                  $"concurrent GC {AppContext.TryGetSwitch("System.GC.Concurrent", out var c) && c}, correlators {correlators}, batches in flight {inFlight}, read coalesce {coalesce} ms, reader nice {nice}");

var journal = stages.Contains("write") ? JournalForWrites.Start(journalHocon) : null;

// Warm-up (JIT tiers) with a short run of every stage.
foreach (var s in stages) Measure(s, Math.Min(records, 300_000), print: false);
for (int r = 0; r < repeat; r++)
    foreach (var s in stages) Measure(s, records, print: true);
if (journal is not null) await journal.DisposeAsync();
return 0;

void Measure(string stage, long n, bool print)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var proc = Process.GetCurrentProcess();
    int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
    long alloc = GC.GetTotalAllocatedBytes(precise: true);
    proc.Refresh();
    var cpu0 = proc.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    long events = stage switch
    {
        "gen" => RunDirect(n, parse: false, correlate: false),
        "parse" => RunDirect(n, parse: true, correlate: false),
        "correlate" => RunDirect(n, parse: true, correlate: true),
        "describe" => RunDirect(n, parse: true, correlate: true, consume: Describe()),
        "publish" => RunDirect(n, parse: true, correlate: true, consume: Publish()),
        "encode" => RunDirect(n, parse: true, correlate: true, consume: Encode(compression, zstdLevel, journalBatch, encoded)),
        "encode-raw" => RunDirect(n, parse: true, correlate: true, consume: Encode(JournalCompression.None, zstdLevel, journalBatch, encoded)),
        "write" => RunDirect(n, parse: true, correlate: true, consume: Encode(compression, zstdLevel, journalBatch, encoded, journal!.Writer, writes)),
        "pipeline" => RunPipeline(n),
        _ => throw new ArgumentException($"unknown stage {stage}"),
    };
    wall.Stop();
    proc.Refresh();
    var cpu = proc.TotalProcessorTime - cpu0;
    long allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc;
    if (!print) return;
    // Stages without events: per-event figures use the events the input holds, so rows compare.
    long perEventBase = Math.Max(1, events > 0 ? events : n * template.EventsPerCopy / template.Count);
    Console.WriteLine(
        $"{stage,-10} {n / wall.Elapsed.TotalSeconds,12:N0} rec/s {events / wall.Elapsed.TotalSeconds,10:N0} ev/s " +
        $"cpu {cpu.TotalMicroseconds / perEventBase,6:F2} µs/ev ({cpu.TotalMicroseconds / n,5:F2} µs/rec, {cpu.TotalSeconds / wall.Elapsed.TotalSeconds:F2} cores) " +
        $"alloc {allocated / (double)perEventBase,7:N0} B/ev  gc0/1/2 {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2}  wall {wall.Elapsed.TotalSeconds:F2}s");
    if (stage == "pipeline" && pipelineNote != null) Console.WriteLine(pipelineNote);
    if (stage == "write")
        Console.WriteLine($"  {writes[0]:N0} journal writes of {encoded[1] / (double)Math.Max(1, writes[0]):N0} events: {cpu.TotalMicroseconds / Math.Max(1, writes[0]):N0} µs of CPU per write (all stages)" +
                          (journalHocon is null ? "" : $", journal HOCON: {journalHocon}"));
    if (stage is "encode" or "encode-raw")
        Console.WriteLine($"  {(stage == "encode" ? compression : JournalCompression.None)}{(stage == "encode" && compression == JournalCompression.Zstd ? $" level {zstdLevel}" : "")}: " +
                          $"payload {encoded[0] / (double)Math.Max(1, encoded[1]):F1} B/ev over {encoded[1]:N0} events in full batches");
}

// What the hub does with every event: its subscriber line.
static Action<List<AuditEvent>> Publish()
{
    var writer = new PublishedEventWriter<AuditEvent>(new AuditEventView(ClassCatalog.Empty));
    long offset = 0;
    return events =>
    {
        foreach (var e in events) writer.Write(offset++, e);
    };
}

// The facts the hub extracts from every event before its line (publish without the JSON).
static Action<List<AuditEvent>> Describe()
{
    var view = new AuditEventView(ClassCatalog.Empty);
    long names = 0;
    return events =>
    {
        foreach (var e in events) names += view.Describe(e).Name.Length;
    };
}

// What the journal sink does with full writes: encode batches of batchEvents events (and with a writer, append each one,
// waiting for it as the sink does). Counts payload bytes and events into totals, writes into writes[0].
static Action<List<AuditEvent>> Encode(JournalCompression compression, int zstdLevel, int batchEvents, long[] totals,
    JournalWriter? writer = null, long[]? writes = null)
{
    var encoder = new EventBatchEncoder(zstdLevel);
    var pending = new List<AuditEvent>(batchEvents);
    totals[0] = totals[1] = 0;
    if (writes is not null) writes[0] = 0;
    return events =>
    {
        pending.AddRange(events);
        if (pending.Count < batchEvents) return;
        var payload = encoder.Encode(pending, compression: compression);
        if (writer is not null)
        {
            writer.AppendAsync(payload, pending.Count).GetAwaiter().GetResult();
            writes![0]++;
        }
        totals[0] += payload.Length;
        totals[1] += pending.Count;
        pending.Clear();
    };
}

long RunDirect(long n, bool parse, bool correlate, Action<List<AuditEvent>>? consume = null)
{
    var source = new FramedSource(template, n, rate, perRead);
    var buffer = new byte[1 << 20];
    var recordsOut = new List<AuditRecord>(4096);
    var correlator = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Netlink, TrackGaps = false });
    var completed = new List<AuditEvent>();
    long events = 0;
    while (true)
    {
        int len = source.Fill(buffer);
        if (len < 0) break;
        if (!parse) continue;
        recordsOut.Clear();
        FramedSource.Parse(buffer.AsSpan(0, len), recordsOut);
        if (!correlate) continue;
        long now = Environment.TickCount64;
        foreach (var r in recordsOut) correlator.Add(r, now, completed);
        consume?.Invoke(completed);
        events += completed.Count;
        completed.Clear();
    }
    correlator.Flush(completed);
    return events + completed.Count;
}

long RunPipeline(long n)
{
    var config = ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters = off
          actor.deployment./correlators { router = consistent-hashing-pool, nr-of-instances = {{correlators}} }
        }
        """);
    using var system = ActorSystem.Create("bench", config);
    var spill = Path.Combine(Path.GetTempPath(), $"fsaudit-pipelinebench-{Environment.ProcessId}");
    long events = 0;
    var sink = EventSink.ForEach<AuditEvent>(batch => Interlocked.Add(ref events, batch.Count));
    var reader = new BenchReader(new FramedSource(template, n, rate, perRead));
    var handle = AuditPipeline.Start(system, new PipelineSettings { SpillDirectory = spill, MaxBatchesInFlight = inFlight, ReadCoalesceMs = coalesce, ReaderNice = nice }, reader, sink);
    // Done when every record was read and the events completed by EOE reached the sink (the flush at stop is not timed).
    long expected = n / template.Count * template.EventsPerCopy;
    var deadline = Stopwatch.StartNew();
    while (Interlocked.Read(ref events) < expected && deadline.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(1);
    long seen = Interlocked.Read(ref events);
    var m = handle.Metrics;
    pipelineNote = $"  reads {m.ReadCalls:N0} ({m.RecordsRead / (double)Math.Max(1, m.ReadCalls):F1} rec/read), batches {m.Batches:N0} ({m.RecordsEmitted / (double)Math.Max(1, m.Batches):F1} rec/batch), peak buffered {m.BufferedRecordsPeak:N0}, reader nice {m.ReaderNice?.ToString() ?? "?"} {m.ReaderNiceError}";
    pipelineNote += $", thread nice values {ThreadNices()}";
    handle.StopAsync().GetAwaiter().GetResult();
    system.Terminate().Wait();
    try { Directory.Delete(spill, recursive: true); } catch (IOException) { }
    if (seen < expected) Console.WriteLine($"  pipeline: only {seen} of {expected} events within the deadline");
    return seen;
}

// nice of every thread of this process (/proc/self/task/*/stat field 19), as value×count.
static string ThreadNices()
{
    var counts = new SortedDictionary<int, int>();
    foreach (var task in Directory.GetDirectories("/proc/self/task"))
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            int nice = int.Parse(fields[16]); // field 19 overall; fields here start at field 3
            counts[nice] = counts.GetValueOrDefault(nice) + 1;
        }
        catch (IOException) { }
    }
    return string.Join(" ", counts.Select(kv => $"{kv.Key}×{kv.Value}"));
}

static string FindFixture()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "FsAudit.Tests", "fixtures", "kernel-ops.netlink");
            if (File.Exists(candidate)) return candidate;
        }
    return "tests/FsAudit.Tests/fixtures/kernel-ops.netlink";
}

/// <summary>A fresh SQLite journal in a temp directory, hosted as the daemon hosts it, for the write stage.</summary>
sealed class JournalForWrites : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly string _dir;

    private JournalForWrites(ActorSystem system, JournalWriter writer, string dir) => (_system, Writer, _dir) = (system, writer, dir);

    public JournalWriter Writer { get; }

    public static JournalForWrites Start(string? hocon)
    {
        string dir = Directory.CreateTempSubdirectory("pipelinebench-journal-").FullName;
        var settings = new JournalSettings { DatabasePath = Path.Combine(dir, "journal.db") };
        SqliteJournalFile.Prepare(settings.DatabasePath);
        var config = ConfigurationFactory.ParseString((hocon ?? "") + "\nakka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        var setup = JournalBootstrap.Setup(config, settings);
        // The caller's HOCON goes in front of the journal's own keys.
        if (hocon is not null)
            setup = setup.And(BootstrapSetup.Create().WithConfig(config.WithFallback(JournalBootstrap.PersistenceConfig(settings))
                .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration)));
        var system = ActorSystem.Create("pipelinebench-journal", setup);
        var writer = JournalWriter.StartAsync(system, settings).GetAwaiter().GetResult();
        return new JournalForWrites(system, writer, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        await _system.Terminate();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
