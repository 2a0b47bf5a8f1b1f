using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FsAudit.Host.Daemon;

namespace FsAudit.Host.Bench;

/// <summary>
/// The full daemon: <c>fsaudit run --config GENERATED</c> as a child process watching the load directory, its
/// counters read from its status socket, its CPU and peak RSS from /proc. Optionally K subscribers read every
/// event from its socket while the load runs.
/// </summary>
public sealed class FsAuditMode(ModeContext context) : IBenchModeRun
{
    public const string RuleKey = "fsaudit-bench";

    private readonly List<string> _notes = [];
    private readonly List<string> _log = [];
    private Process? _daemon;
    private SubscriberClients? _subscribers;
    private string SocketPath => Path.Combine(context.WorkDirectory, "fsaudit.sock");

    public BenchMode Mode => BenchMode.FsAudit;
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>The HOCON given to <c>fsaudit run</c>: only the keys that differ from the embedded defaults.</summary>
    public static string Config(string loadDirectory, string stateDirectory, string socketPath, BenchOptions o, uint foundFailure) =>
        $$"""
        fsaudit {
          watches = [ { path = {{Quote(loadDirectory)}}, perm = wa, key = {{RuleKey}} } ]
          state-directory = {{Quote(stateDirectory)}}
          socket-path = {{Quote(socketPath)}}
          stats-interval = 0s
          journal.enabled = {{(o.Journal ? "on" : "off")}}
          subscribers.max-subscribers = {{Math.Max(64, o.Subscribers + o.StalledSubscribers).ToString(CultureInfo.InvariantCulture)}}
          kernel {
            backlog-limit = {{o.BacklogLimit.ToString(CultureInfo.InvariantCulture)}}
            backlog-wait-time = {{o.BacklogWaitTime.ToString(CultureInfo.InvariantCulture)}}
            rate-limit = 0
            failure = {{(foundFailure == 0 ? "silent" : "printk")}}
          }
        }

        """;

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    /// <summary>The generated config with the user's HOCON after it: objects merge and the later value of a key wins.</summary>
    public static string WithDaemonConfig(string generated, string path, string content) =>
        generated + $"\n# --daemon-config {path}\n" + content + "\n";

    public async Task StartAsync(CancellationToken ct)
    {
        string config = Path.Combine(context.WorkDirectory, "fsaudit-bench.conf");
        string state = Path.Combine(context.WorkDirectory, "fsaudit-state");
        Directory.CreateDirectory(state);
        string text = Config(context.LoadDirectory, state, SocketPath, context.Options, context.Kernel.GetStatus().Failure);
        if (context.Options.DaemonConfig is { } extra)
        {
            text = WithDaemonConfig(text, extra, await File.ReadAllTextAsync(extra, ct));
            context.Log($"daemon config extended with {extra}");
        }
        await File.WriteAllTextAsync(config, text, ct);

        var psi = SelfProcess.StartInfo(["run", "--config", config]);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        _daemon = new Process { StartInfo = psi };
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) lock (_log) _log.Add(line);
        };
        _daemon.Start();
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        context.Log($"fsaudit daemon pid {_daemon.Id}");

        await KernelSteps.WaitForRegistrationAsync(context.Kernel, _daemon, TimeSpan.FromSeconds(60), LogTail, ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await QueryStatusAsync(final: false, ct) is null)
        {
            if (_daemon.HasExited || DateTime.UtcNow > deadline)
                throw new BenchException($"the fsaudit daemon's status socket {SocketPath} did not answer: {LogTail()}");
            await Task.Delay(100, ct);
        }
        if (context.Options.Subscribers + context.Options.StalledSubscribers > 0)
        {
            _subscribers = new SubscriberClients(SocketPath, context.Options.Subscribers, context.Options.StalledSubscribers);
            await _subscribers.StartAsync(ct);
        }
    }

    private async Task<JsonDocument?> QueryStatusAsync(bool final, CancellationToken ct)
    {
        string? line;
        // The final sample may wait while the daemon fans a backlog out to many subscribers.
        try { line = await DaemonProbe.QueryStatusAsync(SocketPath, TimeSpan.FromSeconds(final ? 30 : 5)).WaitAsync(ct); }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException
                                      or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
        if (line is null) return null;
        try { return JsonDocument.Parse(line); }
        catch (JsonException) { return null; }
    }

    public async Task<ModeSample> SampleAsync(bool final, CancellationToken ct)
    {
        using var status = await QueryStatusAsync(final, ct)
                           ?? throw new BenchException($"the fsaudit daemon stopped answering on {SocketPath}: {LogTail()}");
        var (records, events) = PipelineCounters(status.RootElement);
        if (final && FinalNote(status.RootElement) is { } note) _notes.Add(note);
        return new ModeSample(records, records, events, ProcStat.CpuSeconds(_daemon!.Id), ProcStat.PeakRssBytes(_daemon.Id));
    }

    /// <summary>records_read and events of a status line's "pipeline" object; null where absent.</summary>
    public static (long? Records, long? Events) PipelineCounters(JsonElement status) =>
        (Number(status, "pipeline", "records_read"), Number(status, "pipeline", "events"));

    /// <summary>The integer at <paramref name="path"/> in a status line; null where absent or not an integer.</summary>
    private static long? Number(JsonElement e, params string[] path)
    {
        foreach (var name in path)
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e)) return null;
        return e.TryGetInt64(out long n) ? n : null;
    }

    /// <summary>
    /// What the daemon did to keep up, from its final status: records spilled to disk, subscriber catch-up passes
    /// served from the recent window and from the journal, its managed heap. Null when the status has none of it.
    /// </summary>
    public static string? FinalNote(JsonElement status)
    {
        var parts = new List<string>();
        if (Number(status, "pipeline", "spilled_records") is { } spilled) parts.Add(string.Create(CultureInfo.InvariantCulture, $"spilled {spilled:N0} records to disk"));
        if (Number(status, "subscribers", "recent-window", "catch-up-passes-from-window") is { } window
            && Number(status, "subscribers", "recent-window", "catch-up-passes-from-journal") is { } journal)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"subscriber catch-up passes: {window:N0} from the recent window, {journal:N0} from the journal"));
        if (Number(status, "daemon", "gc_heap_bytes") is { } heap) parts.Add(string.Create(CultureInfo.InvariantCulture, $"managed heap at the end {heap / (1024.0 * 1024):0} MB"));
        return parts.Count == 0 ? null : "fsaudit daemon: " + string.Join("; ", parts);
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is { } d)
        {
            if (await KernelSteps.StopAsync(d, TimeSpan.FromSeconds(30)) is { } killed) _notes.Add($"fsaudit {killed}");
            else if (d.HasExited && d.ExitCode != 0) _notes.Add($"fsaudit exited with code {d.ExitCode}");
            d.WaitForExit(TimeSpan.FromSeconds(5)); // exited already (StopAsync); bounded in case its output stays open
            lock (_log)
            {
                foreach (var line in _log.Where(l => l.Contains(" ERROR ") || l.Contains(" WARN ")).Take(5))
                    _notes.Add($"fsaudit: {line}");
                File.WriteAllLines(Path.Combine(context.WorkDirectory, "fsaudit.log"), _log);
            }
            d.Dispose();
            _daemon = null;
        }
        if (_subscribers is { } s)
        {
            _notes.AddRange(await s.StopAsync());
            _subscribers = null;
        }
    }

    private string LogTail()
    {
        lock (_log) return _log.Count == 0 ? "no output" : string.Join(" | ", _log.TakeLast(5));
    }
}
