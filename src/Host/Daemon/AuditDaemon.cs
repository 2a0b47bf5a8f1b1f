using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Akka.Actor;
using FsAudit.Actors.Events;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Pipeline;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Enrichment;
using FsAudit.Engine.Events;
using FsAudit.Host.Configuration;
using FsAudit.Host.Metrics;
using FsAudit.Host.Server;
using FsAudit.Actors.Sinks;

namespace FsAudit.Host.Daemon;

/// <summary>
/// <c>fsaudit run</c>: kernel session → pipeline → sinks, the status socket, the periodic counter line,
/// and the stop sequence on SIGINT/SIGTERM.
/// </summary>
public sealed class AuditDaemon
{
    private readonly FsAuditSettings _settings;
    private readonly DaemonOptions _options;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private IKernelSource? _kernel;
    private PipelineHandle<AuditEvent>? _pipeline;
    private ActorSystem? _system;
    private EventJournal? _journal;
    private bool _stopped;
    private readonly RateMeter _rates = new();

    public AuditDaemon(FsAuditSettings settings, DaemonOptions options)
    {
        _settings = settings;
        _options = options;
    }

    public static FsAuditSettings LoadSettings(DaemonOptions options)
    {
        var settings = ConfigLoader.Load(options.ConfigFile);
        if (options.Watches.Count == 0) return settings;
        var extra = options.Watches.Select(p => new WatchSettings(WatchSettings.NormalizePath(Path.GetFullPath(p)), "wa", null));
        return settings with { Watches = settings.Watches.Concat(extra).ToList() };
    }

    /// <summary>Runs until <paramref name="stop"/> fires; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        if (Tmds.Linux.LibC.geteuid() != 0)
            throw new DaemonStartException("fsaudit run must run as root (it needs CAP_AUDIT_CONTROL and CAP_AUDIT_READ)");
        var rules = RuleSet.From(_settings);
        await DaemonProbe.EnsureNotRunning(_settings.SocketPath);
        Directory.CreateDirectory(_settings.StateDirectory);
        bool journaled = _settings.Journal.Enabled;
        // A damaged or unwritable journal stops us before the kernel is touched.
        if (journaled) EventJournal.PrepareStorage(_settings.Journal);

        // From the start: a daemon started during a flood comes up (and drains what the reader buffered) at this priority.
        using var priority = DaemonThreadPriority.Start(_settings.Pipeline.DaemonNice);
        if (priority != null) Log.Info($"daemon threads at nice {_settings.Pipeline.DaemonNice} (netlink reader {_settings.Pipeline.ReaderNice})");

        var enricher = _settings.Enrichment is { } enrichment ? new Enricher(enrichment) : null;
        var liveView = new AuditEventView(_settings.Catalog,
            extra: enricher is null ? null : (w, e) => EnrichmentJson.WriteProperty(w, enricher.Enrich(e)));
        // Before the kernel sends anything: the per-event code is compiled now, not under the first flood.
        var warmUpEvents = new List<AuditEvent>();
        try
        {
            Log.Info($"warm-up: {HotPathWarmUp.Run(liveView, journaled ? _settings.Journal : null, built: warmUpEvents)}");
        }
        catch (Exception e)
        {
            // The live path counts its own errors per event; a failed warm-up only means a slower first second.
            Log.Warn($"warm-up failed, continuing without it: {e.GetType().Name}: {e.Message}");
        }

        _kernel = _settings.Kernel.Mode == "multicast"
            ? new MulticastKernelSource(_settings.Kernel.ReceiveBuffer)
            : new DaemonKernelSource(KernelSession.Start(_settings.Kernel, _settings.StateDirectory, _options.Replace), rules);
        Log.Info(_kernel.Describe());

        AuditLogSink? auditLog = null;
        MetricsExporter? metrics = null;
        RecordIntake? intake = null;
        try
        {
            // Reading first, then our rules: from here on the kernel's records for us land in the bounded buffer
            // (memory, then spill files) while the actor system, journal and subscribers come up, instead of in the
            // socket, which a flood fills in well under a second.
            intake = AuditPipeline.StartReading(PipelineSettings(), _kernel.CreateReader());
            _kernel.StartProducing();
            foreach (var r in rules) Log.Info($"rule {r}");

            _system = ActorSystem.Create("fsaudit", JournalBootstrap.Setup(_settings.Hocon, _settings.Journal));
            if (journaled)
            {
                _journal = await EventJournal.OpenAsync(_system, _settings.Journal, new AuditEventView(_settings.Catalog));
                _journal.Writer.WriteFailed += f => Log.Error(
                    $"journal write failed (attempt {f.Attempt}, retry in {f.RetryIn.TotalSeconds:0.#}s): {f.Error.Message}; pipeline held back");
                _journal.Writer.WriteRecovered += n => Log.Info($"journal writes resumed after {n} failed attempts");
                Log.Info($"journal {_settings.Journal.Plugin} {(_settings.Journal.Plugin == JournalPlugin.Sqlite ? _settings.Journal.DatabasePath : "")} next offset {_journal.NextOffset}");
            }
            else
            {
                Log.Info("journal off (journal.enabled = off): live delivery only, events numbered from 1, catch-up from the recent window only, no resume");
            }

            // A subscriber that falls behind catches up from the recent window, then from the journal; without a
            // journal, what is older than the window is reported as a gap.
            var window = new RecentEvents(_settings.Subscribers.RecentWindowBytes);
            var history = new WindowedHistory(window, _journal?.History ?? new GoneBeforeWindow(window));
            var hub = _system.ActorOf(SubscriberHub.Props(liveView, _settings.Subscribers.MaxSubscribers, _journal?.NextOffset ?? 1, history,
                    _settings.Subscribers.TotalBufferBytes),
                "subscribers");
            await WarmUpSubscribersAsync(liveView, warmUpEvents);
            if (_settings.AuditLog is { } logOptions)
            {
                auditLog = new AuditLogSink(logOptions);
                Log.Info($"auditd-format log {logOptions.Path}");
            }
            var owned = intake;
            intake = null; // the pipeline owns it now, also if Start throws
            _pipeline = AuditPipeline.Start(_system, PipelineSettings(), owned, BuildSink(hub, auditLog),
                _kernel.Registration, _settings.Kernel.RegistrationCheckInterval);
            if (_pipeline.Watchdog is { } dog)
            {
                dog.Lost += l => Log.Error(
                    $"THE KERNEL DROPPED OUR DAEMON REGISTRATION (kernel pid={l.ObservedPid}, ours={l.ExpectedPid}): records queued for us were lost uncounted; " +
                    (l.ReRegistered ? "registered again" : $"registering again failed: {l.Error}"));
                dog.CheckFailed += e => Log.Warn($"registration check failed: {e.Message}");
            }

            await using var server = new ControlServer(_settings.Subscribers,
                new ControlHandlers(StatusJsonAsync, hub, new ClassCatalogEvents(_settings.Catalog), _journal?.History, _journal?.Durable));
            if (_settings.Metrics is { } metricsOptions)
            {
                metrics = new MetricsExporter(metricsOptions, new MetricsSources
                {
                    Pipeline = () => _pipeline.Metrics,
                    Kernel = _kernel.QueryStatus,
                    Subscribers = async ct => SubscriberMetrics.From(await hub.Ask<HubStatus>(GetHubStatus.Instance, TimeSpan.FromSeconds(2), ct)),
                    JournalBytes = journaled ? () => JournalFileBytes(_settings.Journal) : () => 0,
                    AuditLog = auditLog is null ? null : () => auditLog.Stats,
                });
                metrics.Start();
                Log.Info($"metrics on {metrics.Url}");
            }
            using var stats = StartStatsLine();
            var systemd = SystemdNotify.FromEnvironment();
            Log.Info($"running; status socket {_settings.SocketPath}; {StartupSummary()}");
            systemd?.Ready($"{rules.Count} rules, socket {_settings.SocketPath}");

            var faulted = _pipeline.Completion.ContinueWith(_ => { }, TaskScheduler.Default);
            await Task.WhenAny(Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default), faulted);
            systemd?.Stopping();
            if (_pipeline.Completion.IsFaulted)
                Log.Error($"pipeline failed: {_pipeline.Completion.Exception?.GetBaseException().Message}");
            await StopAsync();
            return _pipeline.Completion.IsFaulted ? 1 : 0;
        }
        finally
        {
            // Also on a failed start (e.g. the socket path is taken): the reader stops, rules go out, the
            // registration is given up and the settings are back as found.
            if (_pipeline != null && !_stopped)
            {
                try { await _pipeline.StopAsync(); }
                catch (Exception e) { Log.Error($"stopping the pipeline after a failed start: {e.Message}"); }
            }
            intake?.Dispose(); // a failed start: what was read goes to the spill files, replayed by the next run
            _kernel.Dispose();
            metrics?.Dispose();
            auditLog?.Dispose();
            if (_journal != null) await _journal.DisposeAsync();
            if (_system != null) await _system.Terminate();
        }
    }

    /// <summary>The subscriber side's warm-up (<see cref="SubscriberWarmUp"/>); a failure only means a slower first catch-up.</summary>
    private async Task WarmUpSubscribersAsync(AuditEventView view, IReadOnlyList<AuditEvent> events)
    {
        try
        {
            Log.Info($"subscriber warm-up: {await SubscriberWarmUp.RunAsync(_system!, view, events, TimeSpan.FromSeconds(10))}");
        }
        catch (Exception e)
        {
            Log.Warn($"subscriber warm-up failed, continuing without it: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Rules out first (nothing new is produced for us), drain what the kernel already queued, give up
    /// the registration, then stop reading and let the pipeline finish every event in flight.
    /// </summary>
    private async Task StopAsync()
    {
        Log.Info("stopping: removing rules");
        _stopped = true;
        _kernel!.StopProducing();
        await WaitForQuietAsync(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
        // The watchdog stops first: a check after the unregistration would find no daemon and register us again.
        _pipeline!.Watchdog?.Dispose();
        _kernel.Detach();
        await _pipeline!.StopAsync();
        var m = _pipeline.Metrics;
        Log.Info($"stopped: records={m.RecordsRead} events={m.Events} incomplete={m.IncompleteEvents} evicted={m.EvictedEvents} " +
                 $"possibly_lost_serials={m.PossiblyLostSerials} spilled={m.SpilledRecords} dropped={m.DroppedRecords} " +
                 $"kernel_dropped_for_us={_kernel.DroppedForUs} reader_longest_gap_ms={m.ReaderLongestGapMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary>Waits until no record arrived for <paramref name="quiet"/> (bounded by <paramref name="max"/>).</summary>
    private async Task WaitForQuietAsync(TimeSpan quiet, TimeSpan max)
    {
        var deadline = Stopwatch.StartNew();
        long last = _pipeline!.Metrics.RecordsRead;
        var since = Stopwatch.StartNew();
        while (deadline.Elapsed < max && since.Elapsed < quiet)
        {
            await Task.Delay(50);
            long now = _pipeline.Metrics.RecordsRead;
            if (now != last) { last = now; since.Restart(); }
        }
    }

    private PipelineSettings PipelineSettings() => new()
    {
        BufferRecords = _settings.Pipeline.BufferRecords,
        SpillDirectory = _settings.UnderState(_settings.Pipeline.SpillDirectory),
        CorrelationTimeout = _settings.Correlation.Timeout,
        MaxInFlight = _settings.Correlation.MaxInFlight,
        ReadCoalesceMs = (int)_settings.Pipeline.ReadCoalesce.TotalMilliseconds,
        ReaderNice = _settings.Pipeline.ReaderNice,
    };

    /// <summary>
    /// Every batch is made durable in the journal first (which gives the offsets); then the auditd-format log,
    /// stdout (--stdout) and the subscriber hub (which never waits for subscribers) get it. With the journal off
    /// they get it straight from the pipeline.
    /// </summary>
    private IEventSink<AuditEvent> BuildSink(IActorRef hub, AuditLogSink? auditLog)
    {
        var stdout = _options.Stdout ? new BufferedStream(Console.OpenStandardOutput(), 1 << 16) : null;
        var timeout = TimeSpan.FromSeconds(30);
        async Task Deliver(IReadOnlyList<AuditEvent> events, long? firstOffset)
        {
            auditLog?.Write(events);
            if (stdout is not null) WriteJsonLines(events, stdout);
            await hub.Ask<HubAck>(new PublishBatch<AuditEvent>(events, firstOffset), timeout);
        }
        // Without a journal the hub numbers the events itself.
        if (_journal is null) return EventSink.ForEachAsync<AuditEvent>(batch => Deliver(batch, null));
        return _journal.SinkTo(JournalSink.ForEachAsync(batch => Deliver(batch.Events, batch.FirstOffset)));
    }

    /// <summary>The SQLite journal's size on disk, its write-ahead log included (0 for PostgreSQL).</summary>
    private static long JournalFileBytes(JournalSettings journal)
    {
        if (journal.Plugin != JournalPlugin.Sqlite) return 0;
        long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        return Size(journal.DatabasePath) + Size(journal.DatabasePath + "-wal");
    }

    private static void WriteJsonLines(IReadOnlyList<AuditEvent> batch, Stream stdout)
    {
        foreach (var e in batch) EventJson.WriteLine(stdout, e);
        stdout.Flush();
    }

    private static readonly JsonSerializerOptions MetricsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private async Task<byte[]> StatusJsonAsync(CancellationToken ct)
    {
        var journal = _journal is null ? null : await _journal.StatusAsync(ct);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) WriteStatus(w, journal);
        return buffer.ToArray();
    }

    /// <summary>
    /// How long the start took, from the process's start (before the runtime switches' re-execution) to now, and the JIT
    /// work in it: with tiered compilation off every method is compiled fully at its first call, which is most of a start
    /// (README, "Configuration").
    /// </summary>
    private static string StartupSummary()
    {
        double seconds;
        try
        {
            using var self = Process.GetCurrentProcess();
            seconds = (DateTime.Now - self.StartTime).TotalSeconds;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { return "start-up time unknown"; }
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"started in {seconds:0.0} s ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods JIT-compiled, {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:0.0} s of JIT)");
    }

    private void WriteStatus(Utf8JsonWriter w, JournalStatus? journal)
    {
        w.WriteStartObject();
        w.WriteString("type", "status");
        KernelStatusJson.Write(w, _kernel!.QueryStatus(), _kernel.QueryRules(), _kernel.LostAtStart, _kernel.BacklogWakes);
        var m = _pipeline!.Metrics;
        var rates = _rates.Sample(m.RecordsRead, m.Events);
        var (rss, peak) = ProcessStats.Memory();
        w.WriteStartObject("daemon");
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteString("mode", _settings.Kernel.Mode);
        w.WriteNumber("kernel_dropped_for_us", _kernel.DroppedForUs);
        w.WriteNumber("uptime_s", Math.Round(_uptime.Elapsed.TotalSeconds, 1));
        w.WriteNumber("rss_bytes", rss);
        w.WriteNumber("peak_rss_bytes", peak);
        // Managed heap against RSS: tells whether memory is held by live objects or by the runtime/native side.
        var gc = GC.GetGCMemoryInfo();
        w.WriteNumber("gc_heap_bytes", gc.HeapSizeBytes);
        w.WriteNumber("gc_committed_bytes", gc.TotalCommittedBytes);
        w.WriteNumber("gc_collections_gen0", GC.CollectionCount(0));
        w.WriteNumber("gc_collections_gen1", GC.CollectionCount(1));
        w.WriteNumber("gc_collections_gen2", GC.CollectionCount(2));
        // Allocation rate and time paused for collections: what the event path costs the GC.
        w.WriteNumber("gc_allocated_bytes", GC.GetTotalAllocatedBytes());
        w.WriteNumber("gc_pause_seconds", Math.Round(GC.GetTotalPauseDuration().TotalSeconds, 3));
        // JIT work so far: with tiered compilation off every method is compiled once, at its first call.
        w.WriteNumber("jit_compiled_methods", System.Runtime.JitInfo.GetCompiledMethodCount());
        w.WriteNumber("jit_seconds", Math.Round(System.Runtime.JitInfo.GetCompilationTime().TotalSeconds, 3));
        // false after `run` re-executed itself with DOTNET_ReadyToRun=0 (RuntimeSwitches).
        w.WriteBoolean("framework_precompiled", RuntimeSwitches.FrameworkPrecompiled);
        // The GC's largest gen0 budget as it computed it (RuntimeSwitches sets DOTNET_GCgen0size to 16 MiB).
        w.WriteNumber("gc_gen0_max_budget_bytes", RuntimeSwitches.Gen0MaxBudget());
        w.WriteNumber("records_per_s", Math.Round(rates.RecordsPerSecond, 1));
        w.WriteNumber("events_per_s", Math.Round(rates.EventsPerSecond, 1));
        w.WriteEndObject();
        w.WritePropertyName("pipeline");
        JsonSerializer.Serialize(w, m, MetricsJson);
        if (journal is null) JournalStatus.WriteDisabled(w);
        else journal.WriteProperty(w);
        w.WriteEndObject();
    }

    private Timer? StartStatsLine()
    {
        if (_settings.StatsInterval <= TimeSpan.Zero) return null;
        var meter = new RateMeter();
        bool niceWarned = false;
        return new Timer(_ =>
        {
            try
            {
                var m = _pipeline!.Metrics;
                var r = meter.Sample(m.RecordsRead, m.Events);
                var k = _kernel!.QueryStatus();
                var (rss, _) = ProcessStats.Memory();
                Log.Info($"stats records/s={r.RecordsPerSecond:F0} events/s={r.EventsPerSecond:F0} records={m.RecordsRead} events={m.Events} " +
                         $"in_flight={m.EventsInFlightNow} incomplete={m.IncompleteEvents} evicted={m.EvictedEvents} gaps={m.PossiblyLostSerials} " +
                         $"buffered={m.BufferedRecordsNow} spilled={m.SpilledRecords} kernel_backlog={k.Backlog} " +
                         $"kernel_lost_since_start={unchecked(k.Lost - _kernel.LostAtStart)} dropped_for_us={_kernel.DroppedForUs} rss_mb={rss >> 20}");
                if (m.ReaderNiceError is { } niceError && !niceWarned)
                {
                    niceWarned = true;
                    Log.Warn($"reader thread priority not applied: {niceError}");
                }
            }
            catch (Exception e) { Log.Warn($"stats line failed: {e.Message}"); }
        }, null, _settings.StatsInterval, _settings.StatsInterval);
    }
}
