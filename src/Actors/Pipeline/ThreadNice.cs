using System.Runtime.InteropServices;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// Linux nice values are per thread (a thread is a task): <c>setpriority(PRIO_PROCESS, gettid(), n)</c>
/// renices only the calling thread. .NET's <see cref="ThreadPriority"/> does nothing here for a
/// non-realtime thread, so the reader thread uses this to get the CPU ahead of nice-0 work (as auditd's
/// <c>priority_boost</c> does for its whole process).
/// </summary>
public static partial class ThreadNice
{
    private const int PrioProcess = 0;

    /// <summary>Sets the calling thread's nice value; null on success, otherwise why it failed (lowering needs CAP_SYS_NICE).</summary>
    public static string? TrySetCurrentThread(int nice) => TrySet(CurrentThreadId(), nice);

    /// <summary>Sets the nice value of thread <paramref name="tid"/> of this process; null on success, otherwise why not.</summary>
    public static string? TrySet(int tid, int nice)
    {
        if (!OperatingSystem.IsLinux()) return "thread nice values need Linux";
        try
        {
            if (setpriority(PrioProcess, (uint)tid, nice) == 0) return null;
            int errno = Marshal.GetLastPInvokeError();
            return $"setpriority(PRIO_PROCESS, tid {tid}, {nice}) failed: {Engine.Kernel.Errno.Name(errno) ?? "errno " + errno}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"setpriority unavailable: {e.Message}";
        }
    }

    /// <summary>The calling thread's nice value; null when it cannot be read.</summary>
    public static int? CurrentThread() => Get(CurrentThreadId());

    /// <summary>
    /// The nice value of thread <paramref name="tid"/>; null when it cannot be read (e.g. the thread ended).
    /// getpriority can legitimately return -1: errno tells.
    /// </summary>
    public static int? Get(int tid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        Marshal.SetLastPInvokeError(0);
        int value = getpriority(PrioProcess, (uint)tid);
        return value == -1 && Marshal.GetLastPInvokeError() != 0 ? null : value;
    }

    /// <summary>The calling thread's kernel id (its tid).</summary>
    public static int CurrentThreadId() => OperatingSystem.IsLinux() ? gettid() : Environment.CurrentManagedThreadId;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, uint who, int prio);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, uint who);

    [LibraryImport("libc")]
    private static partial int gettid();
}
