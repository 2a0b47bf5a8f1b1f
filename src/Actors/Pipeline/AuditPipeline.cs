using Akka.Actor;
using Akka.Routing;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Correlation;
using FsAudit.Actors.Events;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// The facade the Host starts: reader thread → bounded buffer/spill → netlink source stage →
/// correlator pool (consistent hashing on serial, from <c>akka.actor.deployment./correlators</c>) → event sink.
/// </summary>
public static class AuditPipeline
{
    /// <summary>
    /// The first half of a start: the reader thread drains <paramref name="reader"/> into the bounded buffer (memory,
    /// then spill files) before anything consumes it, so the kernel can be given our rules while the actor system,
    /// journal and subscribers are still coming up. Hand the intake to <see cref="Start(ActorSystem, PipelineSettings, RecordIntake, IEventSink{AuditEvent}, IRegistrationControl?, TimeSpan?)"/>,
    /// or dispose it if the start fails. Owns <paramref name="reader"/> from now on.
    /// </summary>
    public static RecordIntake StartReading(PipelineSettings settings, IRecordReader reader)
    {
        settings.Validate();
        var buffer = new RecordBuffer(settings.BufferRecords, settings.BufferBytes, settings.MaxBatchRecords,
            settings.SpillDirectory, settings.SpillSegmentBytes);
        var pump = new RecordPump(reader, buffer, settings.ReadPollMs, settings.ReadCoalesceMs, settings.MaxBatchRecords, settings.ReaderNice);
        pump.Start();
        return new RecordIntake(pump, buffer);
    }

    /// <summary>
    /// Starts the daemon pipeline with the engine's correlator (Netlink mode; gaps tracked once, before
    /// routing; correlator clock = monotonic milliseconds). See the generic overload for ownership and errors.
    /// </summary>
    public static PipelineHandle<AuditEvent> Start(ActorSystem system, PipelineSettings settings, IRecordReader reader,
        IEventSink<AuditEvent> sink, IRegistrationControl? registration = null, TimeSpan? registrationCheckInterval = null)
    {
        CorrelatorPoolSize(system, settings.CorrelatorsName); // before the reader thread starts
        return Start(system, settings, StartReading(settings, reader), sink, registration, registrationCheckInterval);
    }

    /// <summary>The second half of a start: the stream from an intake already reading, which it owns from now on.</summary>
    public static PipelineHandle<AuditEvent> Start(ActorSystem system, PipelineSettings settings, RecordIntake intake,
        IEventSink<AuditEvent> sink, IRegistrationControl? registration = null, TimeSpan? registrationCheckInterval = null)
    {
        var options = new CorrelatorOptions
        {
            Mode = CorrelationMode.Netlink,
            TrackGaps = false,
            TimeoutMs = (long)settings.CorrelationTimeout.TotalMilliseconds,
            MaxInFlight = settings.MaxInFlight,
        };
        // Touched only by the correlation stage (one thread at a time); PossiblyLost is read as a whole long.
        var gaps = new SerialGapTracker();
        var setup = new CorrelationSetup<AuditEvent>(() => new CorrelatorAssembler(options), e => e.Serial)
        {
            BeforeRouting = r =>
            {
                if (!RecordKinds.IsDaemon(r.Type)) gaps.Observe(r.Serial);
            },
            PossiblyLostSerials = () => gaps.PossiblyLost,
            NowMs = () => Environment.TickCount64,
        };
        return Start(system, settings, intake, sink, setup, registration, registrationCheckInterval);
    }

    /// <summary>
    /// Starts the pipeline; the pipeline owns <paramref name="reader"/> from now on (read on its own
    /// thread, disposed at stop). Throws if the correlator deployment is missing or not a fixed-size
    /// consistent-hashing pool (records of one serial must always reach the same actor).
    /// </summary>
    public static PipelineHandle<TEvent> Start<TEvent>(ActorSystem system, PipelineSettings settings, IRecordReader reader,
        IEventSink<TEvent> sink, CorrelationSetup<TEvent> correlation, IRegistrationControl? registration = null,
        TimeSpan? registrationCheckInterval = null)
    {
        CorrelatorPoolSize(system, settings.CorrelatorsName); // before the reader thread starts
        return Start(system, settings, StartReading(settings, reader), sink, correlation, registration, registrationCheckInterval);
    }

    /// <summary>
    /// Starts the stream from <paramref name="intake"/>; the pipeline owns it from now on (also when this throws).
    /// </summary>
    public static PipelineHandle<TEvent> Start<TEvent>(ActorSystem system, PipelineSettings settings, RecordIntake intake,
        IEventSink<TEvent> sink, CorrelationSetup<TEvent> correlation, IRegistrationControl? registration = null,
        TimeSpan? registrationCheckInterval = null)
    {
        var buffer = intake.Buffer;
        var pump = intake.Pump;
        IActorRef? router = null;
        IMaterializer? materializer = null;
        try
        {
            settings.Validate();
            int routees = CorrelatorPoolSize(system, settings.CorrelatorsName);
            router = system.ActorOf(FromConfig.Instance.Props(
                CorrelatorActor<TEvent>.Props(correlation.AssemblerFactory, settings.ExpireInterval, correlation.NowMs)),
                settings.CorrelatorsName);
            var counters = new CorrelationCounters();
            var correlate = new CorrelateStage<TEvent>(router, routees, settings.MaxBatchesInFlight, settings.ExpireInterval,
                settings.CorrelatorAnswerTimeout, correlation.BeforeRouting, correlation.SerialOf, counters);

            materializer = system.Materializer(namePrefix: "fsaudit-pipeline");
            var completion = Source.FromGraph(new NetlinkSourceStage(buffer))
                .Via(Flow.FromGraph(correlate))
                .Async() // the sink may block (stdout, disk): keep it off the correlation stage's thread
                .ToMaterialized(sink.Sink, Keep.Right)
                .Run(materializer);

            var watchdog = registration is null ? null
                : new RegistrationWatchdog(registration, registrationCheckInterval ?? TimeSpan.FromSeconds(1));
            return new PipelineHandle<TEvent>(pump, buffer, counters, router, materializer, completion, watchdog, correlation.PossiblyLostSerials);
        }
        catch
        {
            if (router is not null) system.Stop(router);
            (materializer as IDisposable)?.Dispose();
            intake.Dispose();
            throw;
        }
    }

    /// <summary>The pool size from the deployment config, after checking it is a fixed consistent-hashing pool.</summary>
    internal static int CorrelatorPoolSize(ActorSystem system, string name)
    {
        var deploy = ((ExtendedActorSystem)system).Provider.Deployer.Lookup(new[] { name });
        var where = $"akka.actor.deployment.\"/{name}\"";
        if (deploy?.RouterConfig is not ConsistentHashingPool pool)
            throw new InvalidOperationException(
                $"{where} must configure router = consistent-hashing-pool (found {deploy?.RouterConfig?.GetType().Name ?? "nothing"}): records of one serial must always reach the same correlator");
        if (pool.Resizer is not null)
            throw new InvalidOperationException($"{where} must not use a resizer: resizing moves serials between correlators mid-event");
        int n = pool.GetNrOfInstances(system);
        if (n < 1) throw new InvalidOperationException($"{where}.nr-of-instances must be >= 1 (found {n})");
        return n;
    }
}

/// <summary>A running pipeline.</summary>
public sealed class PipelineHandle<TEvent>
{
    private readonly RecordPump _pump;
    private readonly RecordBuffer _buffer;
    private readonly CorrelationCounters _counters;
    private readonly IActorRef _router;
    private readonly IMaterializer _materializer;
    private readonly RegistrationWatchdog? _watchdog;
    private readonly Func<long>? _possiblyLost;
    private readonly object _stopGate = new();
    private Task? _stopping;

    internal PipelineHandle(RecordPump pump, RecordBuffer buffer, CorrelationCounters counters, IActorRef router,
        IMaterializer materializer, Task completion, RegistrationWatchdog? watchdog, Func<long>? possiblyLost)
    {
        _possiblyLost = possiblyLost;
        _pump = pump;
        _buffer = buffer;
        _counters = counters;
        _router = router;
        _materializer = materializer;
        Completion = completion;
        _watchdog = watchdog;
    }

    /// <summary>
    /// Completes when the sink has finished (after <see cref="StopAsync"/>), faults if the stream failed.
    /// After a fault the reader keeps draining the kernel into spill files until <see cref="StopAsync"/>:
    /// they are replayed by the next run.
    /// </summary>
    public Task Completion { get; }

    /// <summary>Present when a registration control was given: subscribe to <see cref="RegistrationWatchdog.Lost"/>.</summary>
    public RegistrationWatchdog? Watchdog => _watchdog;

    public PipelineMetrics Metrics
    {
        get
        {
            var b = _buffer.Snapshot();
            var rc = _pump.ReaderCounters;
            var reg = _watchdog?.Counters ?? default;
            var assembled = _counters.Assembled;
            return new PipelineMetrics
            {
                RecordsRead = _pump.Records,
                ReadCalls = _pump.ReadCalls,
                ReaderMessages = rc.Messages,
                Unparsable = rc.Unparsable,
                ReaderOverruns = rc.Overruns,
                ReaderLongestGapMs = Math.Round(_pump.LongestGap.TotalMilliseconds, 1),
                BacklogWakeRecords = rc.BacklogWakeRecords,
                ReaderFailure = _pump.Failure?.Message,
                ReaderNice = _pump.ReaderNice,
                ReaderNiceError = _pump.NiceFailure,
                Batches = b.Batches,
                RecordsEmitted = b.RecordsOut,
                BufferedRecordsNow = b.BufferedRecords,
                BufferedRecordsPeak = b.PeakBufferedRecords,
                BufferedBytesNow = b.BufferedBytes,
                BufferedBytesPeak = b.PeakBufferedBytes,
                SpilledRecords = b.Spill.SpilledRecords,
                SpilledBytes = b.Spill.SpilledBytes,
                SpillBacklogRecordsNow = b.Spill.BacklogRecords,
                SpillBacklogBytesNow = b.Spill.BacklogBytes,
                SpillFilesNow = b.Spill.Files,
                SpillRecoveredRecords = b.Spill.RecoveredRecords,
                SpillTornTails = b.Spill.TornTails,
                SpillWriteFailures = b.SpillFailures,
                DroppedRecords = b.DroppedRecords,
                LastSpillError = b.LastSpillError,
                CorrelatedRecords = _counters.Records,
                Events = _counters.Events,
                EventsInFlightNow = _counters.InFlight,
                CorrelatorFailures = _counters.Failures,
                IncompleteEvents = assembled.Incomplete,
                TimedOutEvents = assembled.TimedOut,
                EvictedEvents = assembled.Evicted,
                LateRecords = assembled.LateRecords,
                EventBuildErrors = assembled.BuildErrors,
                PossiblyLostSerials = _possiblyLost?.Invoke() ?? 0,
                RegistrationChecks = reg.Checks,
                RegistrationLosses = reg.Losses,
                ReRegistrations = reg.ReRegistrations,
            };
        }
    }

    /// <summary>
    /// Stops reading, lets every buffered and spilled record through, flushes the correlators (events
    /// still assembling are completed), then completes the sink — in that order. Idempotent.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopGate) return _stopping ??= StopCore();
    }

    private async Task StopCore()
    {
        _watchdog?.Dispose();
        await Task.Run(_pump.Stop).ConfigureAwait(false); // joins the reader thread: at most one poll interval
        try
        {
            await Completion.ConfigureAwait(false);
        }
        finally
        {
            _pump.Dispose();
            (_materializer as IDisposable)?.Dispose();
            _buffer.Dispose();
            // Wait for the pool to stop so its name is free for a later Start in the same system.
            try { await _router.GracefulStop(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
            catch (TaskCanceledException) { /* already stopping with the system */ }
        }
    }
}

/// <summary>
/// The reader thread and its buffer, running before the stream that consumes them (<see cref="AuditPipeline.StartReading"/>).
/// Dispose it only if the pipeline is never started from it: it stops reading and closes the buffer; what it read stays
/// in the spill directory, in order, for the next run.
/// </summary>
public sealed class RecordIntake : IDisposable
{
    internal RecordIntake(RecordPump pump, RecordBuffer buffer)
    {
        Pump = pump;
        Buffer = buffer;
    }

    internal RecordPump Pump { get; }
    internal RecordBuffer Buffer { get; }

    /// <summary>Records read so far (all still buffered until the stream starts).</summary>
    public long RecordsRead => Pump.Records;

    public void Dispose()
    {
        Pump.Dispose();
        Buffer.Dispose();
    }
}
