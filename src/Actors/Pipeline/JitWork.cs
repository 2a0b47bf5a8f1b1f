using System.Diagnostics;
using System.Runtime;

namespace FsAudit.Actors.Pipeline;

/// <summary>What the JIT and the clock did since <see cref="Start"/>: the measure of a warm-up.</summary>
public readonly struct JitWork
{
    private readonly long _methods;
    private readonly TimeSpan _jit;
    private readonly long _started;

    private JitWork(long methods, TimeSpan jit, long started)
    {
        _methods = methods;
        _jit = jit;
        _started = started;
    }

    public static JitWork Start() => new(JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime(), Stopwatch.GetTimestamp());

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);
    public long Methods => JitInfo.GetCompiledMethodCount() - _methods;
    public TimeSpan JitTime => JitInfo.GetCompilationTime() - _jit;
}
