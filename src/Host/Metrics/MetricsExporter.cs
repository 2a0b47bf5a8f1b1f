using System.Net;
using Prometheus;

namespace FsAudit.Host.Metrics;

/// <summary>Where the exporter listens. Opt-in; loopback only unless <see cref="AllowNonLoopback"/>.</summary>
public sealed record MetricsOptions
{
    public string Address { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 9464;

    /// <summary>URL path of the exposition (Prometheus scrapes <c>http://ADDRESS:PORT/metrics</c>).</summary>
    public string Path { get; init; } = "metrics/";

    /// <summary>Counters describe the host's audit activity: expose them beyond loopback only on purpose.</summary>
    public bool AllowNonLoopback { get; init; }

    public void Validate()
    {
        if (Port is < 1 or > 65535) throw new ArgumentException($"metrics port must be 1..65535, was {Port}", nameof(Port));
        bool loopback = Address == "localhost" || (IPAddress.TryParse(Address, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback && !AllowNonLoopback)
            throw new ArgumentException($"metrics address {Address} is not a loopback address (set allow-non-loopback to expose it)", nameof(Address));
    }
}

/// <summary>
/// Prometheus text exposition of the daemon's counters over HTTP (prometheus-net's <see cref="MetricServer"/>,
/// a private registry). Values are pulled from <see cref="MetricsSources"/> at each scrape, so nothing on the
/// event path touches a metric. <see cref="Start"/> fails (HttpListenerException) when the port is taken.
/// </summary>
public sealed class MetricsExporter : IDisposable
{
    private readonly MetricsOptions _options;
    private readonly MetricsSources _sources;
    private MetricServer? _server;

    // Pipeline
    private readonly Counter _records, _events, _incomplete, _lostSerials, _overruns, _unparsable, _spilled, _dropped, _registrationLosses;
    private readonly Gauge _buffered, _spillBacklog, _inFlight, _readerLongestGap;
    // Kernel
    private readonly Gauge _kernelLost, _kernelBacklog, _kernelBacklogLimit, _kernelEnabled;
    // Subscribers
    private readonly Gauge _subscribers, _subQueuedEvents, _subQueuedBytes, _subFill;
    private readonly Counter _subDelivered, _subMissed;
    // Journal and audit log
    private readonly Gauge _journalBytes, _auditLogFileBytes;
    private readonly Counter _auditLogRecords, _auditLogBytes, _auditLogRotations, _auditLogFailures;
    private readonly Counter _sourceErrors;

    public MetricsExporter(MetricsOptions options, MetricsSources sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sources);
        options.Validate();
        _options = options;
        _sources = sources;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);

        _records = f.CreateCounter("fsaudit_records_total", "Audit records read from the kernel.");
        _events = f.CreateCounter("fsaudit_events_total", "Events completed by correlation.");
        _incomplete = f.CreateCounter("fsaudit_incomplete_events_total", "Events emitted without their end record (timed out, evicted, flushed).");
        _lostSerials = f.CreateCounter("fsaudit_possibly_lost_serials_total", "Event serials that never arrived (loss before fsaudit).");
        _overruns = f.CreateCounter("fsaudit_reader_overruns_total", "Times the kernel dropped records for our socket (ENOBUFS).");
        _unparsable = f.CreateCounter("fsaudit_unparsable_records_total", "Kernel messages that were not parsable records (skipped).");
        _spilled = f.CreateCounter("fsaudit_spilled_records_total", "Records spilled to disk because the in-memory buffer was full.");
        _dropped = f.CreateCounter("fsaudit_dropped_records_total", "Records lost because they could be neither buffered nor spilled.");
        _registrationLosses = f.CreateCounter("fsaudit_registration_losses_total", "Times the kernel dropped our audit daemon registration.");
        _buffered = f.CreateGauge("fsaudit_buffered_records", "Records buffered in memory between the socket reader and correlation.");
        _readerLongestGap = f.CreateGauge("fsaudit_reader_longest_gap_seconds",
            "Longest time the socket reader spent between two reads since start (its coalescing sleep at least); overruns follow when it outlasts the socket buffer.");
        _spillBacklog = f.CreateGauge("fsaudit_spill_backlog_bytes", "Bytes of spilled records not yet replayed.");
        _inFlight = f.CreateGauge("fsaudit_events_in_flight", "Events being assembled.");

        _kernelLost = f.CreateGauge("fsaudit_kernel_lost", "The kernel's audit lost counter (records it dropped, since boot).");
        _kernelBacklog = f.CreateGauge("fsaudit_kernel_backlog", "Records queued in the kernel, not yet delivered.");
        _kernelBacklogLimit = f.CreateGauge("fsaudit_kernel_backlog_limit", "The kernel's backlog limit.");
        _kernelEnabled = f.CreateGauge("fsaudit_kernel_enabled", "Kernel audit enabled flag (0 off, 1 on, 2 locked).");

        string[] sub = ["subscriber", "name"];
        _subscribers = f.CreateGauge("fsaudit_subscribers", "Subscribers connected.");
        _subQueuedEvents = f.CreateGauge("fsaudit_subscriber_lag_events", "Events queued for a subscriber, not yet written to it.", sub);
        _subQueuedBytes = f.CreateGauge("fsaudit_subscriber_lag_bytes", "Bytes queued for a subscriber.", sub);
        _subFill = f.CreateGauge("fsaudit_subscriber_buffer_fill_ratio", "Fill of a subscriber's buffer (1 = events are being missed).", sub);
        _subDelivered = f.CreateCounter("fsaudit_subscriber_delivered_total", "Events delivered to a subscriber.", sub);
        _subMissed = f.CreateCounter("fsaudit_subscriber_missed_total", "Matching events a subscriber missed because its buffer was full.", sub);

        _journalBytes = f.CreateGauge("fsaudit_journal_bytes", "Size of the event journal on disk.");
        _auditLogRecords = f.CreateCounter("fsaudit_audit_log_records_total", "Record lines written to the auditd-format log.");
        _auditLogBytes = f.CreateCounter("fsaudit_audit_log_bytes_total", "Bytes written to the auditd-format log.");
        _auditLogRotations = f.CreateCounter("fsaudit_audit_log_rotations_total", "Rotations of the auditd-format log.");
        _auditLogFailures = f.CreateCounter("fsaudit_audit_log_write_failures_total", "Failed writes to the auditd-format log.");
        _auditLogFileBytes = f.CreateGauge("fsaudit_audit_log_file_bytes", "Size of the live auditd-format log file.");
        _sourceErrors = f.CreateCounter("fsaudit_metrics_source_errors_total", "Scrapes where a value source failed.", "source");

        Registry.AddBeforeCollectCallback(CollectAsync);
    }

    /// <summary>The registry behind the endpoint (for tests and for exporting it elsewhere).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The scrape URL, e.g. <c>http://127.0.0.1:9464/metrics/</c>.</summary>
    public string Url => $"http://{_options.Address}:{_options.Port}/{_options.Path.TrimStart('/')}";

    /// <summary>Starts listening; throws when the port cannot be bound.</summary>
    public void Start()
    {
        if (_server != null) return;
        var server = new MetricServer(_options.Address, _options.Port, _options.Path.Trim('/') + "/", Registry);
        server.Start();
        _server = server;
    }

    /// <summary>The exposition text as a scrape would get it.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancel = default)
    {
        using var buffer = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(buffer, cancel).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private async Task CollectAsync(CancellationToken cancel)
    {
        Guard("pipeline", _sources.Pipeline, p =>
        {
            var m = p();
            _records.IncTo(m.RecordsRead);
            _events.IncTo(m.Events);
            _incomplete.IncTo(m.IncompleteEvents);
            _lostSerials.IncTo(m.PossiblyLostSerials);
            _overruns.IncTo(m.ReaderOverruns);
            _unparsable.IncTo(m.Unparsable);
            _spilled.IncTo(m.SpilledRecords);
            _dropped.IncTo(m.DroppedRecords);
            _registrationLosses.IncTo(m.RegistrationLosses);
            _buffered.Set(m.BufferedRecordsNow);
            _readerLongestGap.Set(m.ReaderLongestGapMs / 1000);
            _spillBacklog.Set(m.SpillBacklogBytesNow);
            _inFlight.Set(m.EventsInFlightNow);
        });
        Guard("kernel", _sources.Kernel, k =>
        {
            var s = k();
            _kernelLost.Set(s.Lost);
            _kernelBacklog.Set(s.Backlog);
            _kernelBacklogLimit.Set(s.BacklogLimit);
            _kernelEnabled.Set(s.Enabled);
        });
        Guard("journal", _sources.JournalBytes, j => _journalBytes.Set(j()));
        Guard("audit_log", _sources.AuditLog, a =>
        {
            var s = a();
            _auditLogRecords.IncTo(s.Records);
            _auditLogBytes.IncTo(s.Bytes);
            _auditLogRotations.IncTo(s.Rotations);
            _auditLogFailures.IncTo(s.WriteFailures);
            _auditLogFileBytes.Set(s.CurrentFileBytes);
        });
        if (_sources.Subscribers is { } subscribers)
        {
            try
            {
                UpdateSubscribers(await subscribers(cancel).ConfigureAwait(false));
            }
            catch (Exception) when (!cancel.IsCancellationRequested)
            {
                _sourceErrors.WithLabels("subscribers").Inc();
            }
        }
    }

    private void Guard<T>(string name, T? source, Action<T> update) where T : class
    {
        if (source == null) return;
        try { update(source); }
        catch (Exception) { _sourceErrors.WithLabels(name).Inc(); }
    }

    private void UpdateSubscribers(IReadOnlyList<SubscriberMetrics> list)
    {
        _subscribers.Set(list.Count);
        var present = new HashSet<string>();
        foreach (var s in list)
        {
            string[] labels = [s.Id, s.Name ?? ""];
            present.Add(s.Id);
            _subQueuedEvents.WithLabels(labels).Set(s.QueuedEvents);
            _subQueuedBytes.WithLabels(labels).Set(s.QueuedBytes);
            _subFill.WithLabels(labels).Set(s.CapacityBytes == 0 ? 0 : Math.Min(1.0, (double)s.QueuedBytes / s.CapacityBytes));
            _subDelivered.WithLabels(labels).IncTo(s.Delivered);
            _subMissed.WithLabels(labels).IncTo(s.Missed);
        }
        // Disconnected subscribers leave the exposition instead of freezing at their last values.
        foreach (var labels in _subQueuedEvents.GetAllLabelValues().ToList())
        {
            if (present.Contains(labels[0])) continue;
            _subQueuedEvents.RemoveLabelled(labels);
            _subQueuedBytes.RemoveLabelled(labels);
            _subFill.RemoveLabelled(labels);
            _subDelivered.RemoveLabelled(labels);
            _subMissed.RemoveLabelled(labels);
        }
    }

    public void Dispose()
    {
        var server = Interlocked.Exchange(ref _server, null);
        server?.Stop();
        server?.Dispose();
    }
}
