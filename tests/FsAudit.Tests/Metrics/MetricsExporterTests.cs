using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FsAudit.Actors.Pipeline;
using FsAudit.Actors.Sinks;
using FsAudit.Engine.Netlink;
using FsAudit.Host.Metrics;
using Xunit;

namespace FsAudit.Tests.Metrics;

public sealed class MetricsExporterTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The value of the sample whose name and labels are exactly <paramref name="series"/>; null when absent.</summary>
    private static double? Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(series + " ", StringComparison.Ordinal)) continue;
            return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return null;
    }

    [Fact]
    public async Task Scrape_over_http_reports_the_current_snapshots()
    {
        var pipeline = new PipelineMetrics { RecordsRead = 1200, Events = 200, IncompleteEvents = 3, PossiblyLostSerials = 2, ReaderOverruns = 1, ReaderLongestGapMs = 62.5, BufferedRecordsNow = 17, EventsInFlightNow = 4 };
        var kernel = new AuditStatus { Enabled = 1, Lost = 9, Backlog = 5, BacklogLimit = 8192 };
        IReadOnlyList<SubscriberMetrics> subs =
        [
            new("s1", "siem", Delivered: 150, Missed: 0, QueuedEvents: 3, QueuedBytes: 1200, CapacityBytes: 4800),
            new("s2", null, Delivered: 90, Missed: 12, QueuedEvents: 40, QueuedBytes: 4800, CapacityBytes: 4800),
        ];
        long journal = 1 << 20;
        var sources = new MetricsSources
        {
            Pipeline = () => pipeline,
            Kernel = () => kernel,
            Subscribers = _ => Task.FromResult(subs),
            JournalBytes = () => journal,
            AuditLog = () => new AuditLogStats(200, 1200, 300_000, 2, 24, 1000, 0, 0, null),
        };
        int port = FreePort();
        using var exporter = new MetricsExporter(new MetricsOptions { Port = port }, sources);
        exporter.Start();
        using var http = new HttpClient();

        string text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(1200, Sample(text, "fsaudit_records_total"));
        Assert.Equal(200, Sample(text, "fsaudit_events_total"));
        Assert.Equal(3, Sample(text, "fsaudit_incomplete_events_total"));
        Assert.Equal(2, Sample(text, "fsaudit_possibly_lost_serials_total"));
        Assert.Equal(1, Sample(text, "fsaudit_reader_overruns_total"));
        Assert.Equal(0.0625, Sample(text, "fsaudit_reader_longest_gap_seconds"));
        Assert.Equal(17, Sample(text, "fsaudit_buffered_records"));
        Assert.Equal(9, Sample(text, "fsaudit_kernel_lost"));
        Assert.Equal(5, Sample(text, "fsaudit_kernel_backlog"));
        Assert.Equal(8192, Sample(text, "fsaudit_kernel_backlog_limit"));
        Assert.Equal(2, Sample(text, "fsaudit_subscribers"));
        Assert.Equal(40, Sample(text, "fsaudit_subscriber_lag_events{subscriber=\"s2\",name=\"\"}"));
        Assert.Equal(12, Sample(text, "fsaudit_subscriber_missed_total{subscriber=\"s2\",name=\"\"}"));
        Assert.Equal(150, Sample(text, "fsaudit_subscriber_delivered_total{subscriber=\"s1\",name=\"siem\"}"));
        Assert.Equal(0.25, Sample(text, "fsaudit_subscriber_buffer_fill_ratio{subscriber=\"s1\",name=\"siem\"}"));
        Assert.Equal(1 << 20, Sample(text, "fsaudit_journal_bytes"));
        Assert.Equal(2, Sample(text, "fsaudit_audit_log_rotations_total"));
        Assert.Contains("# TYPE fsaudit_records_total counter", text);
        Assert.Contains("# TYPE fsaudit_kernel_backlog gauge", text);
        Assert.NotNull(Sample(text, "process_working_set_bytes"));

        // Next scrape: new values; the disconnected subscriber's series are gone.
        pipeline = pipeline with { RecordsRead = 5000, Events = 800, BufferedRecordsNow = 0 };
        kernel = kernel with { Backlog = 0 };
        subs = [subs[0] with { Delivered = 400 }];
        text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(5000, Sample(text, "fsaudit_records_total"));
        Assert.Equal(800, Sample(text, "fsaudit_events_total"));
        Assert.Equal(0, Sample(text, "fsaudit_buffered_records"));
        Assert.Equal(0, Sample(text, "fsaudit_kernel_backlog"));
        Assert.Equal(1, Sample(text, "fsaudit_subscribers"));
        Assert.Equal(400, Sample(text, "fsaudit_subscriber_delivered_total{subscriber=\"s1\",name=\"siem\"}"));
        Assert.Null(Sample(text, "fsaudit_subscriber_lag_events{subscriber=\"s2\",name=\"\"}"));
        Assert.DoesNotContain("subscriber=\"s2\"", text);
    }

    [Fact]
    public async Task A_failing_source_is_counted_and_the_others_still_report()
    {
        int calls = 0;
        var sources = new MetricsSources
        {
            Pipeline = () => new PipelineMetrics { RecordsRead = 10 },
            Kernel = () =>
            {
                calls++;
                throw new AuditTimeoutException(AuditMessageType.Get, 1000);
            },
            Subscribers = _ => Task.FromException<IReadOnlyList<SubscriberMetrics>>(new TimeoutException()),
        };
        using var exporter = new MetricsExporter(new MetricsOptions { Port = FreePort() }, sources);
        string text = await exporter.ScrapeAsync();
        text = await exporter.ScrapeAsync();
        Assert.Equal(10, Sample(text, "fsaudit_records_total"));
        Assert.Equal(2, Sample(text, "fsaudit_metrics_source_errors_total{source=\"kernel\"}"));
        Assert.Equal(2, Sample(text, "fsaudit_metrics_source_errors_total{source=\"subscribers\"}"));
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Listens_on_loopback_only_unless_told_otherwise_and_reports_a_taken_port()
    {
        Assert.Throws<ArgumentException>(() => new MetricsExporter(new MetricsOptions { Address = "0.0.0.0" }, new MetricsSources()));
        Assert.Throws<ArgumentException>(() => new MetricsExporter(new MetricsOptions { Port = 0 }, new MetricsSources()));
        using var remote = new MetricsExporter(new MetricsOptions { Address = "0.0.0.0", AllowNonLoopback = true }, new MetricsSources());
        using var local = new MetricsExporter(new MetricsOptions { Address = "::1" }, new MetricsSources());

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var exporter = new MetricsExporter(new MetricsOptions { Port = port }, new MetricsSources());
        Assert.ThrowsAny<Exception>(exporter.Start);
    }
}
