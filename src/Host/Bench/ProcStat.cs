using System.Globalization;
using Tmds.Linux;

namespace FsAudit.Host.Bench;

/// <summary>CPU time and peak memory of a process or thread, from /proc.</summary>
public static class ProcStat
{
    /// <summary>Clock ticks per second of /proc's utime/stime (sysconf(_SC_CLK_TCK), 100 on Linux).</summary>
    public static readonly long TicksPerSecond = ClockTicks();

    private const int ScClkTck = 2; // _SC_CLK_TCK in glibc

    private static long ClockTicks()
    {
        long t = LibC.sysconf(ScClkTck);
        return t > 0 ? t : 100;
    }

    /// <summary>utime+stime in seconds of a process (<c>/proc/PID/stat</c>) or thread (<c>/proc/PID/task/TID/stat</c>); null when gone.</summary>
    public static double? CpuSeconds(int pid, int? tid = null)
    {
        string path = tid is { } t ? $"/proc/{pid}/task/{t}/stat" : $"/proc/{pid}/stat";
        try { return ParseCpuTicks(File.ReadAllText(path)) is { } ticks ? (double)ticks / TicksPerSecond : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// utime+stime (fields 14 and 15) of a stat line. The command name (field 2) may hold spaces and
    /// parentheses, so fields are counted from the last ')'. Null when the line is malformed.
    /// </summary>
    public static long? ParseCpuTicks(ReadOnlySpan<char> stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var rest = stat[(close + 1)..];
        // After ')': field 3 (state) is the first; utime is field 14, stime field 15.
        long utime = 0, stime = 0;
        int field = 2;
        foreach (var range in rest.Split(' '))
        {
            var token = rest[range];
            if (token.IsEmpty) continue;
            field++;
            if (field == 14 && !long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out utime)) return null;
            if (field == 15)
                return long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out stime) ? utime + stime : null;
        }
        return null;
    }

    /// <summary>Peak resident set size (VmHWM) of a process in bytes; null when gone.</summary>
    public static long? PeakRssBytes(int pid)
    {
        try { return ParseVmHwm(File.ReadAllText($"/proc/{pid}/status")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The VmHWM line of /proc/PID/status ("VmHWM:   12345 kB") in bytes; null when absent.</summary>
    public static long? ParseVmHwm(string status)
    {
        foreach (var line in status.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var value = line["VmHWM:".Length..].Trim();
            if (value.EndsWith("kB", StringComparison.Ordinal)) value = value[..^2].Trim();
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
        }
        return null;
    }

    /// <summary>The calling thread's kernel id (gettid), for its /proc/self/task entry.</summary>
    public static int CurrentThreadId() => (int)LibC.syscall((int)GettidNumber);

    private static readonly int GettidNumber =
        FsAudit.Engine.Kernel.X86_64Syscalls.TryGetNumber("gettid", out int n) ? n : 186;

    /// <summary>Busy and total CPU ticks of the whole machine (the "cpu" line of /proc/stat; idle and iowait are not busy).</summary>
    public static (long Busy, long Total)? MachineTicks()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            return ParseMachineTicks(reader.ReadLine() ?? "");
        }
        catch (IOException) { return null; }
    }

    public static (long Busy, long Total)? ParseMachineTicks(string cpuLine)
    {
        var parts = cpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 5 || parts[0] != "cpu") return null;
        long total = 0, idle = 0;
        // user nice system idle iowait irq softirq steal (guest times are already inside user/nice)
        for (int i = 1; i < Math.Min(parts.Length, 9); i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out long v)) return null;
            total += v;
            if (i is 4 or 5) idle += v;
        }
        return (total - idle, total);
    }

    /// <summary>The pid of a kernel thread or process by its comm (e.g. "kauditd"); null when none.</summary>
    public static int? FindByName(string comm)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out int pid)) continue;
            try
            {
                if (File.ReadAllText(System.IO.Path.Combine(dir, "comm")).Trim() == comm) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }
}
