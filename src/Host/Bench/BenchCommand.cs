using System.CommandLine;
using System.Runtime.InteropServices;

namespace FsAudit.Host.Bench;

/// <summary>
/// <c>fsaudit bench</c> (issue 5) and its hidden writer process <c>fsaudit bench-worker</c>.
/// Exit codes: 0 every measurement done, 1 a measurement failed or the kernel state could not be restored,
/// 2 usage, 130 interrupted (partial results are still printed).
/// </summary>
public static class BenchCommand
{
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2, ExitInterrupted = 130;

    /// <summary>The options of one <c>bench</c> command instance (System.CommandLine options belong to one command).</summary>
    private sealed class OptionSet
    {
        public readonly Option<string> Writers = new("--writers", "-n")
        {
            Description = "writer processes, a comma-separated list: every mode runs once per entry",
            DefaultValueFactory = _ => "1",
        };
        public readonly Option<int> Seconds = new("--seconds", "-s") { Description = "seconds of load per mode", DefaultValueFactory = _ => 10 };
        public readonly Option<int> Bytes = new("--bytes", "-b") { Description = "bytes written to each file", DefaultValueFactory = _ => 64 };
        public readonly Option<string> Mix = new("--mix")
        {
            Description = "extra operations per iteration: any of rename,mkdir,chmod (mkdir includes rmdir), or none",
            DefaultValueFactory = _ => "none",
        };
        public readonly Option<string> Modes = new("--modes", "-m")
        {
            Description = "modes to run, in this order: off,drain,fsaudit,auditd,auditd-nolog (and the calibration drain-busy)",
            DefaultValueFactory = _ => string.Join(',', BenchModes.Default.Select(m => m.Name())),
        };
        public readonly Option<uint> BacklogLimit = new("--backlog-limit")
        {
            Description = "kernel backlog_limit during the audited modes",
            DefaultValueFactory = _ => BenchOptions.DefaultBacklogLimit,
        };
        public readonly Option<uint> BacklogWaitTime = new("--backlog-wait-time")
        {
            Description = "kernel backlog_wait_time (auditctl's unit) during the audited modes",
            DefaultValueFactory = _ => BenchOptions.DefaultBacklogWaitTime,
        };
        public readonly Option<int> Subscribers = new("--subscribers", "-k")
        {
            Description = "subscribers reading every event from the fsaudit daemon's socket (fsaudit mode)",
        };
        public readonly Option<int> StalledSubscribers = new("--stalled-subscribers")
        {
            Description = "subscribers that subscribe to every event and never read (fsaudit mode): the daemon's memory must stay bounded",
        };
        public readonly Option<string> Journal = new("--journal")
        {
            Description = "fsaudit mode: the daemon's event journal, on (default) or off (live delivery only: journal.enabled = off)",
            DefaultValueFactory = _ => "on",
        };
        public readonly Option<int> DrainCoalesce = new("--drain-coalesce")
        {
            Description = "drain mode: milliseconds to sleep after a short read, as the daemon's reader does (0 = wake per datagram)",
            DefaultValueFactory = _ => 5,
        };
        public readonly Option<double?> BusyMicros = new("--busy-us")
        {
            Description = $"drain-busy mode: µs of CPU a second thread spends per event received, what a reader doing that much work costs (default {BenchOptions.DefaultBusyMicrosPerEvent})",
        };
        public readonly Option<int> Rounds = new("--rounds", "-r")
        {
            Description = "measure every mode this many times, alternating; ratios per round, their median and, from 5 rounds, a 90 % interval for it (the machine is noisy)",
            DefaultValueFactory = _ => 1,
        };
        public readonly Option<string?> DaemonConfig = new("--daemon-config")
        {
            Description = "fsaudit mode: a HOCON file added after the bench's generated daemon config (its keys win), to measure your own settings",
        };
        public readonly Option<string?> Directory = new("--directory", "-d")
        {
            Description = "where the temp tree goes (the watched load and the fsaudit daemon's journal and spill files): a directory on the file system you want to size (default: the system's temp directory)",
        };
        public readonly Option<bool> Json = new("--json") { Description = "print the results as one JSON document instead of the table" };
        public readonly Option<string> AuditdCache = new("--auditd-cache")
        {
            Description = "where Debian's auditd packages are downloaded and unpacked (never installed)",
            DefaultValueFactory = _ => "/var/cache/fsaudit-bench",
        };
    }

    public static Command Create() => Create(new OptionSet());

    private static Command Create(OptionSet o)
    {
        var cmd = new Command("bench", "Measure the audit path: N writer processes create/write/close/delete files in a watched " +
                                       "temp tree while each mode reads the kernel's records (needs root; restores the kernel's audit state)")
        {
            o.Writers, o.Seconds, o.Bytes, o.Mix, o.Modes, o.BacklogLimit, o.BacklogWaitTime, o.Subscribers, o.StalledSubscribers, o.Journal, o.DrainCoalesce, o.BusyMicros, o.Rounds, o.DaemonConfig, o.Directory, o.Json, o.AuditdCache,
        };
        cmd.SetAction(async (result, ct) =>
        {
            var options = ReadOptions(result, o, out string? error);
            if (options is null)
            {
                Console.Error.WriteLine($"fsaudit bench: {error}");
                return ExitUsage;
            }
            return await RunAsync(options);
        });
        return cmd;
    }

    /// <summary>Parses <c>bench</c>'s arguments (without the verb) into validated options; null with <paramref name="error"/> when invalid.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var o = new OptionSet();
        return ReadOptions(Create(o).Parse(args), o, out error);
    }

    private static BenchOptions? ReadOptions(ParseResult result, OptionSet o, out string? error)
    {
        error = result.Errors.Count > 0 ? string.Join("; ", result.Errors.Select(e => e.Message)) : null;
        if (error is not null) return null;
        var writers = BenchOptions.ParseWriters(result.GetValue(o.Writers) ?? "", out error);
        if (writers is null) return null;
        var modes = BenchOptions.ParseModes(result.GetValue(o.Modes) ?? "", out error);
        if (modes is null) return null;
        var mix = WorkloadMixes.Parse(result.GetValue(o.Mix) ?? "", out error);
        if (mix is null) return null;
        int seconds = result.GetValue(o.Seconds), bytes = result.GetValue(o.Bytes), subscribers = result.GetValue(o.Subscribers);
        int stalled = result.GetValue(o.StalledSubscribers);
        int drainCoalesce = result.GetValue(o.DrainCoalesce);
        uint backlog = result.GetValue(o.BacklogLimit);
        string? daemonConfig = result.GetValue(o.DaemonConfig);
        int rounds = result.GetValue(o.Rounds);
        double? busyGiven = result.GetValue(o.BusyMicros);
        double busy = busyGiven ?? BenchOptions.DefaultBusyMicrosPerEvent;
        string journal = result.GetValue(o.Journal) ?? "on";
        string? directory = result.GetValue(o.Directory);
        error = seconds is < 1 or > 600 ? "--seconds must be from 1 to 600"
            : bytes is < 0 or > 1 << 20 ? "--bytes must be from 0 to 1048576"
            : subscribers is < 0 or > 1000 ? "--subscribers must be from 0 to 1000"
            : backlog < 1 ? "--backlog-limit must be at least 1"
            : stalled is < 0 or > 1000 ? "--stalled-subscribers must be from 0 to 1000"
            : drainCoalesce is < 0 or > 100 ? "--drain-coalesce must be from 0 to 100 (milliseconds)"
            : rounds is < 1 or > 50 ? "--rounds must be from 1 to 50"
            : !(busy is > 0 and <= 1000) ? "--busy-us must be above 0 and at most 1000 (µs per event)"
            : busyGiven is not null && !modes.Contains(BenchMode.DrainBusy) ? "--busy-us needs the drain-busy mode"
            : subscribers + stalled > 1000 ? "--subscribers and --stalled-subscribers together must be at most 1000"
            : subscribers > 0 && !modes.Contains(BenchMode.FsAudit) ? "--subscribers needs the fsaudit mode"
            : stalled > 0 && !modes.Contains(BenchMode.FsAudit) ? "--stalled-subscribers needs the fsaudit mode"
            : journal is not ("on" or "off") ? $"--journal must be on or off (found \"{journal}\")"
            : journal == "off" && !modes.Contains(BenchMode.FsAudit) ? "--journal off needs the fsaudit mode"
            : daemonConfig is not null && !modes.Contains(BenchMode.FsAudit) ? "--daemon-config needs the fsaudit mode"
            : daemonConfig is not null && !File.Exists(daemonConfig) ? $"--daemon-config: no such file {daemonConfig}"
            : directory is not null && !System.IO.Directory.Exists(directory) ? $"--directory: no such directory {directory}"
            : directory is not null && modes.Contains(BenchMode.FsAudit) && System.Text.Encoding.UTF8.GetByteCount(Path.GetFullPath(directory).TrimEnd('/')) > MaxDirectoryBytes
                ? $"--directory: {Path.GetFullPath(directory)} is too long for the fsaudit daemon's Unix socket inside it (at most {MaxDirectoryBytes} bytes; use a shorter path or a symbolic link to it)"
            : null;
        if (error is not null) return null;
        return new BenchOptions
        {
            Writers = writers,
            Seconds = seconds,
            Bytes = bytes,
            Mix = mix.Value,
            Modes = modes,
            BacklogLimit = backlog,
            BacklogWaitTime = result.GetValue(o.BacklogWaitTime),
            Subscribers = subscribers,
            StalledSubscribers = stalled,
            Journal = journal == "on",
            DrainCoalesceMs = drainCoalesce,
            BusyMicrosPerEvent = busy,
            Rounds = rounds,
            DaemonConfig = daemonConfig is null ? null : Path.GetFullPath(daemonConfig),
            Directory = directory is null ? null : Path.GetFullPath(directory),
            Json = result.GetValue(o.Json),
            AuditdCache = result.GetValue(o.AuditdCache) ?? "/var/cache/fsaudit-bench",
        };
    }

    private static async Task<int> RunAsync(BenchOptions options)
    {
        if (Tmds.Linux.LibC.geteuid() != 0)
        {
            Console.Error.WriteLine("fsaudit bench: must run as root (it registers audit daemons and installs a rule)");
            return ExitFailure;
        }
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true; // stop in order: writers, readers, then the kernel state is restored
            Console.Error.WriteLine($"bench: {c.Signal}: stopping and restoring the kernel state");
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var results = new List<BenchResult>();
        bool interrupted = false;
        int exit = ExitOk;
        try
        {
            using var machineLock = MachineLock.Acquire(options.LockTimeout,
                () => Console.Error.WriteLine($"bench: waiting for {MachineLock.Path} (kernel tests or another bench hold it)"), stop.Token);
            var root = CreateTempTree(options.Directory);
            try
            {
                using var kernel = new NetlinkAuditKernel();
                var runner = new BenchRunner(options, kernel, new WorkerProcesses(), BenchRunner.CreateMode, Console.Error);
                await runner.RunAsync(root.FullName, results, stop.Token);
            }
            finally
            {
                try { root.Delete(recursive: true); }
                catch (IOException e) { Console.Error.WriteLine($"bench: could not remove {root.FullName}: {e.Message}"); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            interrupted = true;
            exit = ExitInterrupted;
        }
        catch (BenchException e)
        {
            Console.Error.WriteLine($"fsaudit bench: {e.Message}");
            exit = ExitFailure;
        }

        var report = new BenchReport(MachineInfo.Current(options.Directory ?? Path.GetTempPath()), options, results, interrupted);
        if (options.Json)
        {
            using var stdout = Console.OpenStandardOutput();
            report.WriteJson(stdout);
            stdout.WriteByte((byte)'\n');
        }
        else report.WriteTable(Console.Out);
        if (exit == ExitOk && results.Any(r => r.Error is not null)) exit = ExitFailure;
        return exit;
    }

    /// <summary>
    /// The longest <c>--directory</c> with fsaudit mode: the daemon's socket is <c>DIR/fsaudit-bench-XXXXXX/fsaudit-256-r50/fsaudit.sock</c>
    /// at the longest (50 bytes after DIR), and a Unix socket path holds at most 107 bytes.
    /// </summary>
    internal const int MaxDirectoryBytes = 107 - 50;

    /// <summary>A new private directory <c>fsaudit-bench-XXXXXX</c> under <paramref name="parent"/> (null: the system's temp directory).</summary>
    internal static DirectoryInfo CreateTempTree(string? parent)
    {
        if (parent is null) return Directory.CreateTempSubdirectory("fsaudit-bench-");
        for (int attempt = 0; ; attempt++)
        {
            string path = Path.Combine(parent, "fsaudit-bench-" + Path.GetRandomFileName().Replace(".", "")[..6]);
            if (Directory.Exists(path) || File.Exists(path))
            {
                if (attempt < 100) continue;
                throw new BenchException($"cannot make a fresh directory under {parent}");
            }
            try
            {
                return OperatingSystem.IsWindows() ? Directory.CreateDirectory(path)
                    : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BenchException($"cannot make a directory under {parent}: {e.Message}");
            }
        }
    }

    /// <summary><c>fsaudit bench-worker</c>: one writer process of the bench (hidden; the bench starts it).</summary>
    public static Command CreateWorker()
    {
        var dir = new Option<string>("--dir") { Required = true };
        var seconds = new Option<int>("--seconds") { Required = true };
        var bytes = new Option<int>("--bytes") { Required = true };
        var mix = new Option<string>("--mix") { DefaultValueFactory = _ => "none" };
        var warmup = new Option<string?>("--warmup-dir");
        var cmd = new Command("bench-worker", "One writer process of fsaudit bench") { dir, seconds, bytes, mix, warmup };
        cmd.Hidden = true;
        cmd.SetAction(result =>
        {
            var m = WorkloadMixes.Parse(result.GetValue(mix) ?? "none", out string? error);
            if (m is null || result.GetValue(seconds) < 1 || result.GetValue(bytes) < 0)
            {
                Console.Error.WriteLine($"fsaudit bench-worker: {error ?? "bad --seconds or --bytes"}");
                return ExitUsage;
            }
            return WorkerLoop.Run(result.GetValue(dir)!, result.GetValue(warmup), result.GetValue(seconds), result.GetValue(bytes), m.Value, Console.In, Console.Out);
        });
        return cmd;
    }
}
