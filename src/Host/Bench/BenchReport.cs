using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FsAudit.Host.Bench;

/// <summary>Where the figures were taken: the machine, and the directory (and its file system) the load ran in.</summary>
public sealed record MachineInfo(int Cores, string Kernel, string Runtime, string? LoadDirectory = null, string? LoadFileSystem = null)
{
    public static MachineInfo Current(string loadDirectory)
    {
        string kernel;
        try { kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { kernel = RuntimeInformation.OSDescription; }
        string full = Path.GetFullPath(loadDirectory);
        return new MachineInfo(Environment.ProcessorCount, kernel, RuntimeInformation.FrameworkDescription,
            full.Length > 1 ? full.TrimEnd('/') : full, MountTable.Find(full)?.Type);
    }
}

/// <summary>A finished (or interrupted) bench: its results, ratios and target checks, as a table or JSON.</summary>
public sealed record BenchReport(MachineInfo Machine, BenchOptions Options, IReadOnlyList<BenchResult> Results, bool Interrupted)
{
    public IReadOnlyList<BenchRatios> Ratios => BenchRatios.Compute(Results);
    public IReadOnlyList<TargetCheck> Targets => TargetCheck.Evaluate(Results, Options.BacklogLimit);

    private static readonly string[] Header =
        ["mode", "writers", "iter/s", "records/s", "events/s", "lost", "peak backlog", "wait jiffies", "cpu s/100k ev", "peak RSS MB", "other cores", "cpu µs/iter writers+kauditd+reader"];

    public void WriteTable(TextWriter w)
    {
        var o = Options;
        w.WriteLine($"fsaudit bench: {Machine.Cores} cores, kernel {Machine.Kernel}, {Machine.Runtime}; " +
                    (Machine.LoadDirectory is { } dir ? $"load under {dir} ({Machine.LoadFileSystem ?? "file system unknown"}); " : "") +
                    $"{o.Seconds} s per mode, {o.Bytes} B per file, mix {o.Mix.Format()} ({o.Mix.EventsPerIteration()} events/iteration), " +
                    $"backlog_limit {o.BacklogLimit}, backlog_wait_time {o.BacklogWaitTime}" +
                    (o.Subscribers > 0 ? $", {o.Subscribers} subscribers" : "") +
                    (o.StalledSubscribers > 0 ? $", {o.StalledSubscribers} stalled subscribers" : "") +
                    (!o.Journal ? ", journal off" : "") +
                    (o.Modes.Any(m => m.IsInProcess()) ? $", drain coalescing {o.DrainCoalesceMs} ms" : "") +
                    (o.Modes.Contains(BenchMode.DrainBusy) ? $", drain-busy {o.BusyMicrosPerEvent.ToString("0.##", CultureInfo.InvariantCulture)} µs/event" : "") +
                    (o.DaemonConfig is { } extra ? $", daemon config + {extra}" : "") + (o.Rounds > 1 ? $", {o.Rounds} rounds" : "") +
                    (Interrupted ? " (INTERRUPTED)" : ""));
        bool rounds = o.Rounds > 1;
        string[] header = rounds ? ["round", .. Header] : Header;
        // In the configured mode order, also for the rounds that ran them in reverse (BenchRunner).
        var ordered = Results.OrderBy(r => r.Round).ThenBy(r => IndexOf(o.Writers, r.Writers)).ThenBy(r => IndexOf(o.Modes, r.Mode));
        var rows = ordered.Select(r => rounds ? [Int(r.Round), .. Row(r)] : Row(r)).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        w.WriteLine(Line(header, widths, leftColumn: rounds ? 1 : 0));
        w.WriteLine(string.Join("  ", widths.Select(n => new string('-', n))));
        foreach (var r in rows) w.WriteLine(Line(r, widths, leftColumn: rounds ? 1 : 0));
        foreach (var r in Results)
        {
            string label = $"{r.Mode.Name()} x{r.Writers}" + (rounds ? $" round {r.Round}" : "");
            if (r.Error is not null) w.WriteLine($"  {label}: {r.Error}");
            if (r.WorkerErrors > 0) w.WriteLine($"  {label}: {r.WorkerErrors} writer syscalls failed");
            foreach (var n in r.Notes) w.WriteLine($"  {label}: {n}");
        }
        foreach (var ratio in Ratios)
        {
            string Each(Func<BenchRatios, double?> pick) => ratio.PerRound.Count > 1
                ? " (median of " + string.Join(", ", ratio.PerRound.Select(pick).OfType<double>().Select(x => x.ToString("0.00", CultureInfo.InvariantCulture))) + ")"
                : "";
            var parts = new List<string>();
            if (ratio.FsAuditVsDrain is { } d) parts.Add($"fsaudit/drain {d:0.00}{Each(r => r.FsAuditVsDrain)}");
            if (ratio.FsAuditVsAuditd is { } a) parts.Add($"fsaudit/auditd {a:0.00}{Each(r => r.FsAuditVsAuditd)}");
            if (ratio.FsAuditVsAuditdNoLog is { } n) parts.Add($"fsaudit/auditd-nolog {n:0.00}{Each(r => r.FsAuditVsAuditdNoLog)}");
            if (ratio.DrainBusyVsDrain is { } b) parts.Add($"drain-busy/drain {b:0.00}{Each(r => r.DrainBusyVsDrain)}");
            if (parts.Count > 0) w.WriteLine($"ratios (iterations/s), {ratio.Writers} writer(s): {string.Join(", ", parts)}");
        }
        if (!o.Journal && Targets.Count > 0)
            w.WriteLine("note: the targets are set for the daemon with its journal on; this run had it off");
        foreach (var t in Targets)
            w.WriteLine($"target {(t.Met ? "MET   " : "MISSED")} {t.Writers} writer(s): {t.Target}: {t.Actual}");
    }

    private static int IndexOf<T>(IReadOnlyList<T> list, T item)
    {
        for (int i = 0; i < list.Count; i++)
            if (EqualityComparer<T>.Default.Equals(list[i], item)) return i;
        return list.Count;
    }

    /// <summary>Cells right-aligned, except the mode name (column <paramref name="leftColumn"/>).</summary>
    private static string Line(IReadOnlyList<string> cells, int[] widths, int leftColumn = 0) =>
        string.Join("  ", cells.Select((c, i) => i == leftColumn ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();

    private static string[] Row(BenchResult r)
    {
        if (r.Error is not null) return [r.Mode.Name(), Int(r.Writers), "failed", "", "", "", "", "", "", "", "", ""];
        return
        [
            r.Mode.Name(), Int(r.Writers), Num(r.IterationsPerSecond), Num(r.RecordsPerSecond), Num(r.EventsPerSecond),
            r.KernelLost is { } l ? Int(l) : "-", r.PeakBacklog is { } b ? Int(b) : "-", r.BacklogWaitJiffies is { } j ? Int(j) : "-",
            r.CpuPer100kEvents is { } c ? c.ToString("0.00", CultureInfo.InvariantCulture) : "-",
            r.PeakRssBytes is { } m ? (m / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture) : "-",
            r.OtherCpuCores is { } o ? o.ToString("0.00", CultureInfo.InvariantCulture) : "-",
            CpuSplit(r),
        ];
    }

    /// <summary>"52.7+23.0+7.7": writers, kauditd and reader CPU µs per iteration; "-" for a share not measured.</summary>
    internal static string CpuSplit(BenchResult r)
    {
        static string Micros(double? v) => v is { } x ? x.ToString("0.0", CultureInfo.InvariantCulture) : "-";
        return $"{Micros(r.WriterMicrosPerIteration)}+{Micros(r.KauditdMicrosPerIteration)}+{Micros(r.ReaderMicrosPerIteration)}";
    }

    private static string Int(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
    private static string Num(double? n) => n is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";

    public void WriteJson(Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartObject("machine");
        w.WriteNumber("cores", Machine.Cores);
        w.WriteString("kernel", Machine.Kernel);
        w.WriteString("runtime", Machine.Runtime);
        if (Machine.LoadDirectory is { } dir) w.WriteString("load_directory", dir); else w.WriteNull("load_directory");
        if (Machine.LoadFileSystem is { } fs) w.WriteString("load_file_system", fs); else w.WriteNull("load_file_system");
        w.WriteEndObject();
        w.WriteStartObject("options");
        w.WriteStartArray("writers");
        foreach (int n in Options.Writers) w.WriteNumberValue(n);
        w.WriteEndArray();
        w.WriteNumber("seconds", Options.Seconds);
        w.WriteNumber("bytes", Options.Bytes);
        w.WriteString("mix", Options.Mix.Format());
        w.WriteNumber("events_per_iteration", Options.Mix.EventsPerIteration());
        w.WriteNumber("backlog_limit", Options.BacklogLimit);
        w.WriteNumber("backlog_wait_time", Options.BacklogWaitTime);
        w.WriteNumber("subscribers", Options.Subscribers);
        w.WriteNumber("stalled_subscribers", Options.StalledSubscribers);
        w.WriteBoolean("journal", Options.Journal);
        w.WriteNumber("drain_coalesce_ms", Options.DrainCoalesceMs);
        if (Options.Modes.Contains(BenchMode.DrainBusy)) w.WriteNumber("busy_us_per_event", Options.BusyMicrosPerEvent);
        w.WriteNumber("rounds", Options.Rounds);
        if (Options.DaemonConfig is { } extra) w.WriteString("daemon_config", extra); else w.WriteNull("daemon_config");
        w.WriteEndObject();
        w.WriteBoolean("interrupted", Interrupted);
        w.WriteStartArray("results");
        foreach (var r in Results)
        {
            w.WriteStartObject();
            w.WriteString("mode", r.Mode.Name());
            w.WriteNumber("writers", r.Writers);
            w.WriteNumber("round", r.Round);
            if (r.Error is not null) w.WriteString("error", r.Error);
            else
            {
                w.WriteNumber("iterations", r.Iterations);
                w.WriteNumber("iterations_per_s", Math.Round(r.IterationsPerSecond, 1));
                w.WriteNumber("workload_s", Math.Round(r.WorkloadSeconds, 3));
                w.WriteNumber("workload_events", r.WorkloadEvents);
                w.WriteNumber("worker_errors", r.WorkerErrors);
                Opt(w, "records", r.Records);
                Opt(w, "events", r.Events);
                Opt(w, "records_per_s", r.RecordsPerSecond);
                Opt(w, "events_per_s", r.EventsPerSecond);
                Opt(w, "kernel_lost", r.KernelLost);
                Opt(w, "peak_backlog", r.PeakBacklog);
                Opt(w, "backlog_wait_jiffies", r.BacklogWaitJiffies);
                Opt(w, "cpu_s", r.CpuSeconds);
                Opt(w, "cpu_s_per_100k_events", r.CpuPer100kEvents);
                Opt(w, "peak_rss_bytes", r.PeakRssBytes);
                Opt(w, "writer_cpu_s", r.WriterCpuSeconds);
                Opt(w, "kauditd_cpu_s", r.KauditdCpuSeconds);
                Opt(w, "other_cpu_cores", r.OtherCpuCores);
                Opt(w, "writer_cpu_us_per_iteration", r.WriterMicrosPerIteration);
                Opt(w, "kauditd_cpu_us_per_iteration", r.KauditdMicrosPerIteration);
                Opt(w, "reader_cpu_us_per_iteration", r.ReaderMicrosPerIteration);
            }
            w.WriteStartArray("notes");
            foreach (var n in r.Notes) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("ratios");
        foreach (var r in Ratios)
        {
            w.WriteStartObject();
            w.WriteNumber("writers", r.Writers);
            Opt(w, "fsaudit_vs_drain", r.FsAuditVsDrain);
            Opt(w, "fsaudit_vs_auditd", r.FsAuditVsAuditd);
            Opt(w, "fsaudit_vs_auditd_nolog", r.FsAuditVsAuditdNoLog);
            Opt(w, "drain_busy_vs_drain", r.DrainBusyVsDrain);
            w.WriteStartArray("per_round"); // the single rounds; the figures above are their medians
            foreach (var p in r.PerRound)
            {
                w.WriteStartObject();
                Opt(w, "fsaudit_vs_drain", p.FsAuditVsDrain);
                Opt(w, "fsaudit_vs_auditd", p.FsAuditVsAuditd);
                Opt(w, "fsaudit_vs_auditd_nolog", p.FsAuditVsAuditdNoLog);
                Opt(w, "drain_busy_vs_drain", p.DrainBusyVsDrain);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("targets");
        foreach (var t in Targets)
        {
            w.WriteStartObject();
            w.WriteNumber("writers", t.Writers);
            w.WriteString("target", t.Target);
            w.WriteBoolean("met", t.Met);
            w.WriteString("actual", t.Actual);
            if (t.Interval is { } ci)
            {
                w.WriteStartObject("median_interval");
                w.WriteNumber("low", Math.Round(ci.Low, 4));
                w.WriteNumber("high", Math.Round(ci.High, 4));
                w.WriteNumber("confidence", Math.Round(ci.Confidence, 4));
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Opt(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x) w.WriteNumber(name, Math.Round(x, 4));
        else w.WriteNull(name);
    }

    private static void Opt(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } x) w.WriteNumber(name, x);
        else w.WriteNull(name);
    }
}
