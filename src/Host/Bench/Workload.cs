using System.Diagnostics;
using System.Globalization;

namespace FsAudit.Host.Bench;

/// <summary>What the writers do in one measurement.</summary>
/// <param name="Directory">Where the writers work (watched); each gets a subdirectory.</param>
/// <param name="WarmupDirectory">Where each writer warms up before "ready" (not watched); null = no warm-up.</param>
public sealed record WorkloadPlan(string Directory, string? WarmupDirectory, int Writers, int Seconds, int Bytes, WorkloadMix Mix);

/// <summary>The writers' totals: iterations, summed per-writer rates, syscall errors (should be 0), their CPU seconds.</summary>
public sealed record WorkloadResult(long Iterations, double IterationsPerSecond, double Seconds, long Errors, string? FirstError,
    double CpuSeconds = 0);

/// <summary>Iterations so far, summed over the writers (for the live progress line).</summary>
public sealed class WorkloadProgress
{
    private long[] _perWriter = [];

    public void Reset(int writers) => Volatile.Write(ref _perWriter, new long[writers]);
    public void Set(int writer, long iterations) => Volatile.Write(ref _perWriter[writer], iterations);
    public long Iterations => Volatile.Read(ref _perWriter).Sum();
}

/// <summary>Runs a workload; <c>beforeGo</c> is awaited when every writer is ready, right before they start.</summary>
public interface IWorkload
{
    Task<WorkloadResult> RunAsync(WorkloadPlan plan, Func<Task> beforeGo, WorkloadProgress progress, CancellationToken ct);
}

/// <summary>
/// <see cref="IWorkload"/> as N <c>fsaudit bench-worker</c> processes: the kernel never audits the registered
/// daemon's own process, so the load has to come from other processes. Each writer gets a directory of its own.
/// </summary>
public sealed class WorkerProcesses : IWorkload
{
    /// <summary>Beyond the run time, how long writers may take to finish (a producer can wait in the kernel for a full backlog).</summary>
    public TimeSpan FinishGrace { get; init; } = TimeSpan.FromSeconds(90);
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<WorkloadResult> RunAsync(WorkloadPlan plan, Func<Task> beforeGo, WorkloadProgress progress, CancellationToken ct)
    {
        progress.Reset(plan.Writers);
        var workers = new List<Worker>();
        try
        {
            for (int i = 0; i < plan.Writers; i++)
            {
                var dir = Path.Combine(plan.Directory, $"w{i}");
                Directory.CreateDirectory(dir);
                workers.Add(Worker.Start(i, dir, plan, progress));
            }
            using (var ready = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                ready.CancelAfter(ReadyTimeout);
                await Task.WhenAll(workers.Select(w => w.Ready.WaitAsync(ready.Token)));
            }
            await beforeGo();
            foreach (var w in workers) w.Go();

            using var finish = CancellationTokenSource.CreateLinkedTokenSource(ct);
            finish.CancelAfter(TimeSpan.FromSeconds(plan.Seconds) + FinishGrace);
            var reports = await Task.WhenAll(workers.Select(w => w.Done.WaitAsync(finish.Token)));
            long errors = reports.Sum(r => r.Errors);
            var firstFailed = reports.FirstOrDefault(r => r.Errors > 0);
            return new WorkloadResult(
                reports.Sum(r => r.Iterations),
                reports.Sum(r => r.IterationsPerSecond),
                reports.Average(r => r.ElapsedMicroseconds) / 1e6,
                errors,
                errors > 0 ? $"{errors} failed syscalls, first errno {FsAudit.Engine.Kernel.Errno.Name(firstFailed.FirstErrno)}" : null,
                reports.Sum(r => r.CpuMicroseconds) / 1e6);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BenchException("writers did not become ready or finish in time: " +
                                     string.Join("; ", workers.Select(w => w.Describe())));
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }

    private sealed class Worker : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<WorkerReport> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _stderr = [];
        private readonly int _index;
        private readonly CancellationTokenSource _disposed = new();

        private Worker(int index, Process process)
        {
            _index = index;
            _process = process;
        }

        public Task Ready => _ready.Task;
        public Task<WorkerReport> Done => _done.Task;

        public static Worker Start(int index, string dir, WorkloadPlan plan, WorkloadProgress progress)
        {
            var args = new List<string> { "bench-worker", "--dir", dir,
                "--seconds", plan.Seconds.ToString(CultureInfo.InvariantCulture),
                "--bytes", plan.Bytes.ToString(CultureInfo.InvariantCulture), "--mix", plan.Mix.Format() };
            if (plan.WarmupDirectory is { } warm) args.AddRange(["--warmup-dir", Path.Combine(warm, $"w{index}")]);
            var psi = SelfProcess.StartInfo(args);
            psi.RedirectStandardInput = true;
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            var worker = new Worker(index, process);
            process.OutputDataReceived += (_, e) => worker.OnLine(e.Data, progress);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } l) lock (worker._stderr) if (worker._stderr.Count < 20) worker._stderr.Add(l);
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _ = worker.WatchExitAsync(); // never throws
            return worker;
        }

        private void OnLine(string? line, WorkloadProgress progress)
        {
            if (line is null) return;
            if (line == "ready")
            {
                _ready.TrySetResult();
                return;
            }
            if (WorkerReport.TryParseLine(line, out long iterations, out var done))
            {
                progress.Set(_index, iterations);
                if (done is { } d) _done.TrySetResult(d);
            }
        }

        /// <summary>
        /// Fails Ready and Done if the writer exits before reporting. Awaited, never a blocking wait in an Exited
        /// handler: Process raises Exited inside HasExited under its own lock, and a handler that waited there for the
        /// output to drain hung the bench for good once (Dispose's HasExited holding the lock, the runtime's exit
        /// callback waiting for it, Ctrl-C unable to end the run).
        /// </summary>
        private async Task WatchExitAsync()
        {
            BenchException why;
            try
            {
                // Also waits for the output lines still in flight, so a report that did arrive is seen first.
                await _process.WaitForExitAsync(_disposed.Token).ConfigureAwait(false);
                why = new BenchException($"writer {_index} exited with code {_process.ExitCode} before reporting: {Describe()}");
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                return; // disposed: the run is over and judged already
            }
            _ready.TrySetException(why);
            _done.TrySetException(why);
        }

        public void Go()
        {
            _process.StandardInput.WriteLine("go");
            _process.StandardInput.Flush();
        }

        public string Describe()
        {
            lock (_stderr) return $"writer {_index} pid {_process.Id}: {(_stderr.Count == 0 ? "no stderr" : string.Join(" | ", _stderr))}";
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
            }
            catch (InvalidOperationException) { }
            _disposed.Cancel();
            _process.Dispose();
        }
    }
}

/// <summary>Starts this executable again with other arguments (also when run as <c>dotnet fsaudit.dll</c>).</summary>
public static class SelfProcess
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        string exe = Environment.ProcessPath ?? throw new BenchException("cannot tell this process's executable");
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            psi.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
