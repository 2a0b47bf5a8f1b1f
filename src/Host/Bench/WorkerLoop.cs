using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tmds.Linux;

namespace FsAudit.Host.Bench;

/// <summary>
/// One writer process (<c>fsaudit bench-worker</c>): loops create → write → close → delete (plus the
/// <see cref="WorkloadMix"/> operations) in its own directory for a fixed time, calling libc directly with
/// pre-built NUL-terminated paths so an iteration allocates nothing managed.
/// Protocol on stdout: <c>ready</c>, then after <c>go</c> arrives on stdin, <c>p ITERATIONS</c> about every
/// 250 ms and finally <c>done ITERATIONS ELAPSED_US ERRORS FIRST_ERRNO CPU_US</c> (CPU = this process's user+system
/// time during the loop).
/// </summary>
public static unsafe class WorkerLoop
{
    private const int Mode0600 = 0x180, Mode0640 = 0x1A0, Mode0700 = 0x1C0;

    private static readonly int RenameNumber =
        FsAudit.Engine.Kernel.X86_64Syscalls.TryGetNumber("rename", out int n) ? n : 82;

    private sealed class Counters
    {
        public long Iterations;
        public long Errors;
        public int FirstErrno;
        public volatile bool Finished;
    }

    /// <summary>Iterations before "ready", in a directory outside the watched tree, so the measured loop runs jitted code.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(300);

    public static int Run(string directory, string? warmupDirectory, int seconds, int bytes, WorkloadMix mix, TextReader stdin, TextWriter stdout)
    {
        Directory.CreateDirectory(directory);
        byte[] data = new byte[Math.Max(bytes, 1)];
        data.AsSpan().Fill((byte)'x');
        if (warmupDirectory is not null)
        {
            Directory.CreateDirectory(warmupDirectory);
            Iterate(warmupDirectory, data, bytes, mix, Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency), new Counters());
            Directory.Delete(warmupDirectory, recursive: true);
        }

        stdout.WriteLine("ready");
        stdout.Flush();
        string? go = stdin.ReadLine();
        if (go != "go") return 2; // the parent gave up before starting

        var counters = new Counters();
        var reporter = new Thread(() => Report(counters, stdout)) { IsBackground = true, Name = "progress" };
        double cpuStart = ProcStat.CpuSeconds(Environment.ProcessId) ?? 0;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + seconds * Stopwatch.Frequency;
        reporter.Start();
        Iterate(directory, data, bytes, mix, deadline, counters);
        long elapsedUs = (Stopwatch.GetTimestamp() - start) * 1_000_000 / Stopwatch.Frequency;
        counters.Finished = true;
        reporter.Join();
        long cpuUs = (long)(((ProcStat.CpuSeconds(Environment.ProcessId) ?? cpuStart) - cpuStart) * 1e6);
        lock (stdout)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done {counters.Iterations} {elapsedUs} {counters.Errors} {counters.FirstErrno} {cpuUs}"));
            stdout.Flush();
        }
        return 0;
    }

    private static void Iterate(string directory, byte[] data, int bytes, WorkloadMix mix, long deadline, Counters counters)
    {
        byte[] file = CString(Path.Combine(directory, "f"));
        byte[] renamed = CString(Path.Combine(directory, "g"));
        byte[] dir = CString(Path.Combine(directory, "d"));
        fixed (byte* f = file, g = renamed, d = dir, buf = data)
            Loop(f, g, d, buf, bytes, mix, deadline, counters);
    }

    private static void Loop(byte* file, byte* renamed, byte* dir, byte* data, int bytes, WorkloadMix mix, long deadline, Counters c)
    {
        bool rename = mix.HasFlag(WorkloadMix.Rename), mkdir = mix.HasFlag(WorkloadMix.Mkdir), chmod = mix.HasFlag(WorkloadMix.Chmod);
        int flags = LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_CLOEXEC;
        long iterations = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            int fd = LibC.open(file, flags, (ushort)Mode0600);
            if (fd < 0) Fail(c);
            else
            {
                if (bytes > 0 && LibC.write(fd, data, bytes) < 0) Fail(c);
                LibC.close(fd);
            }
            if (chmod && LibC.chmod(file, (ushort)Mode0640) < 0) Fail(c);
            if (rename)
            {
                if ((int)LibC.syscall(RenameNumber, file, renamed) < 0) Fail(c);
                if (LibC.unlink(renamed) < 0) Fail(c);
            }
            else if (LibC.unlink(file) < 0) Fail(c);
            if (mkdir)
            {
                if (LibC.mkdir(dir, (ushort)Mode0700) < 0) Fail(c);
                if (LibC.rmdir(dir) < 0) Fail(c);
            }
            Volatile.Write(ref c.Iterations, ++iterations);
        }
    }

    private static void Fail(Counters c)
    {
        if (c.Errors++ == 0) c.FirstErrno = LibC.errno;
    }

    private static void Report(Counters c, TextWriter stdout)
    {
        while (!c.Finished)
        {
            Thread.Sleep(250);
            lock (stdout)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p {Volatile.Read(ref c.Iterations)}"));
                stdout.Flush();
            }
        }
    }

    private static byte[] CString(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}

/// <summary>A worker's final line (<c>done ITERATIONS ELAPSED_US ERRORS FIRST_ERRNO CPU_US</c>).</summary>
public readonly record struct WorkerReport(long Iterations, long ElapsedMicroseconds, long Errors, int FirstErrno, long CpuMicroseconds)
{
    public double IterationsPerSecond => ElapsedMicroseconds > 0 ? Iterations * 1e6 / ElapsedMicroseconds : 0;

    /// <summary>Parses a worker's stdout line: a progress count (<c>p N</c>) or the final report; false otherwise.</summary>
    public static bool TryParseLine(string line, out long progress, out WorkerReport? done)
    {
        progress = 0;
        done = null;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[0] == "p" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out progress))
            return true;
        if (parts.Length == 6 && parts[0] == "done"
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long it)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long us)
            && long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out long errors)
            && int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out int errno)
            && long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out long cpu))
        {
            done = new WorkerReport(it, us, errors, errno, cpu);
            progress = it;
            return true;
        }
        return false;
    }
}
