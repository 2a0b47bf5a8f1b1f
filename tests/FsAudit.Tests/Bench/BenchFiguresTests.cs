using System.Text;
using System.Text.Json;
using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

public class BenchFiguresTests
{
    private static BenchResult R(BenchMode mode, int writers, double rate, long? lost = 0, long? rss = null, string? error = null, int round = 1) => new()
    {
        Mode = mode, Writers = writers, IterationsPerSecond = rate, KernelLost = lost, PeakRssBytes = rss, Error = error, Round = round,
    };

    /// <summary>The report of <paramref name="results"/> as its table and its JSON.</summary>
    private static (string Table, JsonDocument Json) Render(BenchOptions options, params BenchResult[] results)
    {
        var report = new BenchReport(new MachineInfo(2, "6.1.0", ".NET 10"), options, results, Interrupted: false);
        var text = new StringWriter();
        report.WriteTable(text);
        using var json = new MemoryStream();
        report.WriteJson(json);
        return (text.ToString(), JsonDocument.Parse(json.ToArray()));
    }

    [Theory]
    [InlineData(new double[] { 0.8 }, 0.8)]
    [InlineData(new double[] { 0.9, 0.7, 0.8 }, 0.8)]
    [InlineData(new double[] { 1.0, 0.7, 0.8, 0.95 }, 0.875)]
    public void Median_is_the_middle_value_or_the_mean_of_the_middle_two(double[] values, double expected)
    {
        Assert.Equal(expected, BenchRatios.Median(values.Select(v => (double?)v).Concat([null]))!.Value, 9);
        Assert.Null(BenchRatios.Median([null]));
    }

    [Theory]
    [InlineData(5, 1, 0.9375)]         // min..max: misses the median only when all 5 lie on one side (2/32)
    [InlineData(10, 2, 0.978515625)]   // 2nd..9th: 1 - 2 (1 + 10) / 1024
    [InlineData(20, 6, 0.958610535)]   // 6th..15th: 1 - 2 (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20
    public void The_median_interval_is_the_widest_order_statistics_pair_that_reaches_the_level(int n, int k, double confidence)
    {
        var values = Enumerable.Range(1, n).Reverse().Select(i => (double?)i).Concat([null]).ToList(); // order and nulls do not matter
        var ci = MedianInterval.Of(values)!;
        Assert.Equal(k, ci.Low);
        Assert.Equal(n - k + 1, ci.High);
        Assert.Equal(confidence, ci.Confidence, 6);
    }

    [Fact]
    public void The_report_names_the_directory_and_file_system_the_load_ran_in()
    {
        var options = new BenchOptions { Modes = [BenchMode.Off] };
        BenchResult[] results = [R(BenchMode.Off, 1, 1000)];
        var report = new BenchReport(new MachineInfo(2, "6.1.0", ".NET 10", "/srv/data", "xfs"), options, results, Interrupted: false);
        var text = new StringWriter();
        report.WriteTable(text);
        Assert.Contains("load under /srv/data (xfs);", text.ToString());
        using var json = new MemoryStream();
        report.WriteJson(json);
        var machine = JsonDocument.Parse(json.ToArray()).RootElement.GetProperty("machine");
        Assert.Equal("/srv/data", machine.GetProperty("load_directory").GetString());
        Assert.Equal("xfs", machine.GetProperty("load_file_system").GetString());

        var (table, unknown) = Render(options, results); // no directory known: nothing claimed
        Assert.DoesNotContain("load under", table);
        Assert.Equal(JsonValueKind.Null, unknown.RootElement.GetProperty("machine").GetProperty("load_file_system").ValueKind);
    }

    [Fact]
    public void Too_few_rounds_give_no_median_interval()
    {
        Assert.Null(MedianInterval.Of([0.8, 0.9, 1.0, 1.1])); // 4 rounds: min..max holds the median only 7 times in 8
        Assert.Null(MedianInterval.Of([]));
        Assert.NotNull(MedianInterval.Of([0.8, 0.9, 1.0, 1.1], level: 0.85));
    }

    [Theory]
    [InlineData(0.91, 0.95, "above 0.9")]
    [InlineData(0.90, 0.95, "above 0.9")]
    [InlineData(0.80, 0.89, "below 0.9")]
    [InlineData(0.85, 0.92, "not told apart from 0.9")]
    [InlineData(0.85, 0.90, "not told apart from 0.9")]
    public void The_median_interval_tells_the_threshold_apart_only_when_it_lies_on_one_side(double low, double high, string where)
    {
        var ci = new MedianInterval(low, high, 0.9375);
        Assert.EndsWith(": " + where, ci.Describe(0.9));
        Assert.StartsWith("94 % interval of the median", ci.Describe(0.9));
    }

    [Fact]
    public void Five_rounds_put_the_median_interval_into_the_drain_target_and_its_json()
    {
        double[] fsaudit = [17_000, 19_600, 18_400, 20_000, 17_600]; // against 20,000: 0.85, 0.98, 0.92, 1.00, 0.88
        var results = fsaudit.SelectMany((f, i) => new[] { R(BenchMode.Drain, 2, 20_000, round: i + 1), R(BenchMode.FsAudit, 2, f, round: i + 1) }).ToArray();
        var drain = Assert.Single(TargetCheck.Evaluate(results, 4096), c => c.Target.Contains("drain"));
        Assert.True(drain.Met); // median 0.92
        Assert.Equal(0.85, drain.Interval!.Low, 6);
        Assert.Equal(1.00, drain.Interval.High, 6);
        Assert.Contains("; 94 % interval of the median 0.85–1.00: not told apart from 0.9", drain.Actual);

        var (table, json) = Render(new BenchOptions { Rounds = 5 }, results);
        Assert.Contains("not told apart from 0.9", table);
        var target = json.RootElement.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("target").GetString()!.Contains("drain"));
        var interval = target.GetProperty("median_interval");
        Assert.Equal(0.85, interval.GetProperty("low").GetDouble(), 4);
        Assert.Equal(1.0, interval.GetProperty("high").GetDouble(), 4);
        Assert.Equal(0.9375, interval.GetProperty("confidence").GetDouble(), 4);
    }

    [Fact]
    public void Rounds_give_one_ratio_each_and_their_median_decides()
    {
        const long mb = 1024 * 1024;
        var results = new[]
        {
            R(BenchMode.Drain, 2, 20_000, round: 1), R(BenchMode.FsAudit, 2, 16_000, rss: 150 * mb, round: 1), // 0.80
            R(BenchMode.Drain, 2, 20_000, round: 2), R(BenchMode.FsAudit, 2, 19_000, rss: 210 * mb, round: 2), // 0.95
            R(BenchMode.Drain, 2, 10_000, round: 3), R(BenchMode.FsAudit, 2, 9_200, lost: 3, rss: 160 * mb, round: 3), // 0.92
        };
        var ratio = Assert.Single(BenchRatios.Compute(results));
        Assert.Equal([0.80, 0.95, 0.92], ratio.PerRound.Select(r => Math.Round(r.FsAuditVsDrain!.Value, 2)));
        Assert.Equal(0.92, ratio.FsAuditVsDrain!.Value, 6); // the median, not the ratio of summed rates (0.885)

        var checks = TargetCheck.Evaluate(results, 4096);
        var drain = Assert.Single(checks, c => c.Target.Contains("drain"));
        Assert.True(drain.Met);
        Assert.Contains("median of 0.80, 0.95, 0.92", drain.Actual);
        Assert.EndsWith("; drain itself varied 100 % between rounds", drain.Actual); // 20,000 against 10,000 it/s
        // Lost and RSS must hold in every round: the worst one decides.
        var lost = Assert.Single(checks, c => c.Target.Contains("lost"));
        Assert.False(lost.Met);
        Assert.Equal("3 lost (worst of 3 rounds)", lost.Actual);
        var rss = Assert.Single(checks, c => c.Target.Contains("RSS"));
        Assert.False(rss.Met);
        Assert.StartsWith("210 MB", rss.Actual);
    }

    [Fact]
    public void The_report_shows_rounds_when_there_are_several()
    {
        var (table, json) = Render(new BenchOptions { Writers = [1], Modes = [BenchMode.Drain, BenchMode.FsAudit], Rounds = 2 },
            R(BenchMode.Drain, 1, 10_000, round: 1), R(BenchMode.FsAudit, 1, 9_000, round: 1) with { Notes = ["n1"] },
            R(BenchMode.FsAudit, 1, 8_000, round: 2), R(BenchMode.Drain, 1, 10_000, round: 2)); // round 2 ran them in reverse
        using var doc = json;
        Assert.Contains("round  mode", table);
        // The table lists every round in the configured mode order.
        var modesByRow = table.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length > 2 && c[0] is "1" or "2" && c[1] is "drain" or "fsaudit").Select(c => c[0] + c[1]).ToArray();
        Assert.Equal(["1drain", "1fsaudit", "2drain", "2fsaudit"], modesByRow);
        Assert.Contains(", 2 rounds", table);
        Assert.Contains("fsaudit/drain 0.85 (median of 0.90, 0.80)", table);
        Assert.Contains("fsaudit x1 round 1: n1", table);
        Assert.Equal(2, doc.RootElement.GetProperty("options").GetProperty("rounds").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("results")[3].GetProperty("round").GetInt32());
        Assert.Equal("drain", doc.RootElement.GetProperty("results")[3].GetProperty("mode").GetString()); // JSON: as measured
        var perRound = doc.RootElement.GetProperty("ratios")[0].GetProperty("per_round");
        Assert.Equal(0.8, perRound[1].GetProperty("fsaudit_vs_drain").GetDouble(), 6);
    }

    [Fact]
    public void The_calibration_ratio_is_drain_busy_against_drain_of_the_same_round()
    {
        var (table, json) = Render(new BenchOptions { Writers = [2], Modes = [BenchMode.Drain, BenchMode.DrainBusy], Rounds = 3, BusyMicrosPerEvent = 2 },
            R(BenchMode.Drain, 2, 20_000, round: 1), R(BenchMode.DrainBusy, 2, 17_000, round: 1), // 0.85
            R(BenchMode.DrainBusy, 2, 9_000, round: 2), R(BenchMode.Drain, 2, 10_000, round: 2),   // 0.90
            R(BenchMode.Drain, 2, 25_000, round: 3), R(BenchMode.DrainBusy, 2, 20_000, round: 3)); // 0.80
        using var doc = json;
        Assert.Contains("drain-busy/drain 0.85 (median of 0.85, 0.90, 0.80)", table);
        Assert.Contains("drain-busy 2 µs/event", table);
        Assert.DoesNotContain("fsaudit/drain", table);
        var ratios = doc.RootElement.GetProperty("ratios")[0];
        Assert.Equal(0.85, ratios.GetProperty("drain_busy_vs_drain").GetDouble(), 6);
        Assert.Equal(0.9, ratios.GetProperty("per_round")[1].GetProperty("drain_busy_vs_drain").GetDouble(), 6);
        Assert.Equal(2, doc.RootElement.GetProperty("options").GetProperty("busy_us_per_event").GetDouble());
        Assert.Equal(0, doc.RootElement.GetProperty("targets").GetArrayLength()); // a calibration checks no target
    }

    [Fact]
    public void Ratios_compare_fsaudit_with_each_reader_per_writer_count()
    {
        var ratios = BenchRatios.Compute([
            R(BenchMode.Drain, 1, 10_000), R(BenchMode.FsAudit, 1, 9_000), R(BenchMode.Auditd, 1, 6_000), R(BenchMode.AuditdNoLog, 1, 12_000),
            R(BenchMode.Drain, 2, 16_000), R(BenchMode.FsAudit, 2, 8_000),
        ]);
        var one = Assert.Single(ratios, r => r.Writers == 1);
        Assert.Equal(0.9, one.FsAuditVsDrain!.Value, 6);
        Assert.Equal(1.5, one.FsAuditVsAuditd!.Value, 6);
        Assert.Equal(0.75, one.FsAuditVsAuditdNoLog!.Value, 6);
        var two = Assert.Single(ratios, r => r.Writers == 2);
        Assert.Equal(0.5, two.FsAuditVsDrain!.Value, 6);
        Assert.Null(two.FsAuditVsAuditd);
    }

    [Fact]
    public void Failed_or_zero_measurements_give_no_ratio()
    {
        var ratios = BenchRatios.Compute([
            R(BenchMode.Drain, 1, 0), R(BenchMode.FsAudit, 1, 9_000), R(BenchMode.Auditd, 1, 5_000, error: "auditd not found"),
        ]);
        var one = Assert.Single(ratios);
        Assert.Null(one.FsAuditVsDrain);
        Assert.Null(one.FsAuditVsAuditd);
    }

    [Fact]
    public void Targets_are_checked_at_their_thresholds()
    {
        const long mb = 1024 * 1024;
        var results = new[]
        {
            R(BenchMode.Drain, 1, 10_000), R(BenchMode.FsAudit, 1, 9_000, lost: 0, rss: 200 * mb), R(BenchMode.Auditd, 1, 9_000),
            R(BenchMode.Drain, 2, 10_000), R(BenchMode.FsAudit, 2, 8_999, lost: 1, rss: 201 * mb), R(BenchMode.Auditd, 2, 9_000),
        };
        var checks = TargetCheck.Evaluate(results, 4096);
        Assert.All(checks.Where(c => c.Writers == 1), c => Assert.True(c.Met, c.Target));
        Assert.Equal(4, checks.Count(c => c.Writers == 1));
        var missed = checks.Where(c => c.Writers == 2 && !c.Met).Select(c => c.Target).ToList();
        Assert.Equal(4, missed.Count);
        Assert.Contains(missed, t => t.Contains("lost") && t.Contains("4096"));
        Assert.Contains(missed, t => t.Contains("RSS"));
        Assert.DoesNotContain("varied", Assert.Single(checks, c => c.Writers == 1 && c.Target.Contains("drain")).Actual); // one round: no spread
    }

    [Fact]
    public void Cpu_per_iteration_is_split_by_who_paid_and_shown_in_the_table_and_json()
    {
        var drain = new BenchResult
        {
            Mode = BenchMode.Drain, Writers = 2, Iterations = 200_000, IterationsPerSecond = 20_000,
            WriterCpuSeconds = 10.5, KauditdCpuSeconds = 4.6, CpuSeconds = 1.54,
        };
        Assert.Equal(52.5, drain.WriterMicrosPerIteration!.Value, 9);
        Assert.Equal(23.0, drain.KauditdMicrosPerIteration!.Value, 9);
        Assert.Equal(7.7, drain.ReaderMicrosPerIteration!.Value, 9);
        // The off mode has no reader; a run without iterations has no per-iteration figures at all.
        var off = drain with { Mode = BenchMode.Off, CpuSeconds = null, KauditdCpuSeconds = 0 };
        Assert.Equal("52.5+0.0+-", BenchReport.CpuSplit(off));
        Assert.Null((drain with { Iterations = 0 }).WriterMicrosPerIteration);

        var (table, json) = Render(new BenchOptions { Writers = [2], Modes = [BenchMode.Off, BenchMode.Drain] }, drain, off);
        Assert.Contains("cpu µs/iter writers+kauditd+reader", table);
        Assert.Contains("52.5+23.0+7.7", table);
        var first = json.RootElement.GetProperty("results")[0];
        Assert.Equal(52.5, first.GetProperty("writer_cpu_us_per_iteration").GetDouble(), 9);
        Assert.Equal(23.0, first.GetProperty("kauditd_cpu_us_per_iteration").GetDouble(), 9);
        Assert.Equal(7.7, first.GetProperty("reader_cpu_us_per_iteration").GetDouble(), 9);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("results")[1].GetProperty("reader_cpu_us_per_iteration").ValueKind);
    }

    [Fact]
    public void Cpu_per_100k_events_uses_the_counted_events_else_the_workload_events()
    {
        var counted = new BenchResult { Mode = BenchMode.FsAudit, Writers = 1, CpuSeconds = 2, Events = 400_000, WorkloadEvents = 1 };
        Assert.Equal(0.5, counted.CpuPer100kEvents!.Value, 9);
        var uncounted = new BenchResult { Mode = BenchMode.AuditdNoLog, Writers = 1, CpuSeconds = 1, WorkloadEvents = 200_000 };
        Assert.Equal(0.5, uncounted.CpuPer100kEvents!.Value, 9);
        Assert.Null(new BenchResult { Mode = BenchMode.Off, Writers = 1 }.CpuPer100kEvents);
    }

    [Fact]
    public void The_report_prints_a_row_per_result_and_valid_json()
    {
        var (table, json) = Render(new BenchOptions { Writers = [1], Modes = [BenchMode.Drain, BenchMode.FsAudit] },
            R(BenchMode.Drain, 1, 10_000), R(BenchMode.FsAudit, 1, 9_500) with { Notes = ["a note"] }, R(BenchMode.Auditd, 1, 0, error: "no apt"));
        using var doc = json;
        Assert.Contains("fsaudit/drain 0.95", table);
        Assert.Contains("a note", table);
        Assert.Contains("no apt", table);
        Assert.Contains("9,500", table);
        var results = doc.RootElement.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        Assert.Equal("no apt", results[2].GetProperty("error").GetString());
        Assert.Equal(0.95, doc.RootElement.GetProperty("ratios")[0].GetProperty("fsaudit_vs_drain").GetDouble(), 6);
        Assert.DoesNotContain("daemon config", table);
    }

    [Fact]
    public void A_run_without_the_journal_says_so_next_to_the_targets()
    {
        var (table, json) = Render(new BenchOptions { Writers = [1], Modes = [BenchMode.Drain, BenchMode.FsAudit], Journal = false },
            R(BenchMode.Drain, 1, 10_000), R(BenchMode.FsAudit, 1, 9_500));
        using var doc = json;
        Assert.Contains(", journal off", table);
        Assert.Contains("the targets are set for the daemon with its journal on", table);
        Assert.False(doc.RootElement.GetProperty("options").GetProperty("journal").GetBoolean());

        var (onTable, onJson) = Render(new BenchOptions { Writers = [1], Modes = [BenchMode.Drain, BenchMode.FsAudit] },
            R(BenchMode.Drain, 1, 10_000), R(BenchMode.FsAudit, 1, 9_500));
        using var onDoc = onJson;
        Assert.DoesNotContain("journal off", onTable);
        Assert.True(onDoc.RootElement.GetProperty("options").GetProperty("journal").GetBoolean());
    }

    [Fact]
    public void A_daemon_config_is_named_in_the_report()
    {
        var (table, json) = Render(new BenchOptions { Writers = [1], Modes = [BenchMode.FsAudit], DaemonConfig = "/tmp/mine.conf" },
            R(BenchMode.FsAudit, 1, 9_500));
        using var doc = json;
        Assert.Contains("daemon config + /tmp/mine.conf", table);
        var found = doc.RootElement.GetProperty("options").GetProperty("daemon_config").GetString();
        Assert.Equal("/tmp/mine.conf", found);
    }
}
