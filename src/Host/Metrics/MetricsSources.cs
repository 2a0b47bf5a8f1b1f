using FsAudit.Actors.Pipeline;
using FsAudit.Actors.Sinks;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Metrics;

/// <summary>
/// Where <see cref="MetricsExporter"/> reads its values, each called once per scrape; leave a source null
/// when the daemon has no such part. A source that throws is counted in
/// <c>fsaudit_metrics_source_errors_total{source}</c> and its metrics keep their last values.
/// </summary>
public sealed record MetricsSources
{
    public Func<PipelineMetrics>? Pipeline { get; init; }

    /// <summary>The kernel's audit status (AUDIT_GET): lost, backlog, backlog limit, enabled.</summary>
    public Func<AuditStatus>? Kernel { get; init; }

    /// <summary>The subscribers now connected (e.g. <see cref="SubscriberMetrics.From(HubStatus)"/> of an Ask to the hub).</summary>
    public Func<CancellationToken, Task<IReadOnlyList<SubscriberMetrics>>>? Subscribers { get; init; }

    /// <summary>Bytes the event journal takes on disk.</summary>
    public Func<long>? JournalBytes { get; init; }

    public Func<AuditLogStats>? AuditLog { get; init; }
}

/// <summary>One subscriber's counters as exported.</summary>
/// <param name="QueuedEvents">Events waiting in its buffer: how far it lags behind.</param>
public sealed record SubscriberMetrics(string Id, string? Name, long Delivered, long Missed, long QueuedEvents, long QueuedBytes, long CapacityBytes)
{
    public static IReadOnlyList<SubscriberMetrics> From(HubStatus status) =>
        status.Subscribers.Select(s => new SubscriberMetrics(s.Id, s.Name, s.Stats.Delivered, s.Stats.Missed,
            s.Stats.QueuedLines, s.Stats.QueuedBytes, s.Stats.CapacityBytes)).ToList();
}
