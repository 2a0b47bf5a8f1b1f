using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;

// TraceSummary FILE.nettrace [top] [thread-name-filter]; top = -1 lists the JIT-compiled methods in time order
// Exclusive and inclusive sample counts per method from the SampleProfiler's thread samples, per thread and overall.
// Idle samples (leaf frame = a wait) are dropped, so counts are CPU.
// Capture: DOTNET_EnableEventPipe=1 DOTNET_EventPipeOutputPath=trace.nettrace
//   DOTNET_EventPipeConfig='Microsoft-DotNETCore-SampleProfiler:0:5,Microsoft-Windows-DotNETRuntime:0x4c14fccbd:5'
string file = args[0];
int top = args.Length > 1 ? int.Parse(args[1]) : 40;
string focus = args.Length > 2 ? args[2] : null; // only samples with a frame containing this
string etlx = TraceLog.CreateFromEventPipeDataFile(file);
using var log = new TraceLog(etlx);
var exclusive = new Dictionary<string, int>();
var inclusive = new Dictionary<string, int>();
var byThread = new Dictionary<string, int>();
int samples = 0;
var gcCount = new int[3];
var gcMs = new double[3];
var gcStart = new Dictionary<int, (double Ms, int Gen)>();
var gcReasons = new Dictionary<string, int>();
var largeAllocs = new Dictionary<string, long>();
var smallAllocs = new Dictionary<string, long>();
var promoted = new long[3]; // bytes each generation's survivors added to the next one, summed over the GCs that collected it
int heapStats = 0;
double firstMs = double.NaN, lastMs = 0;
var jitted = new List<(double Ms, string Name)>(); // methods the JIT compiled, in order (MethodLoadVerbose)
foreach (var e in log.Events)
{
    if (e.EventName is "Method/LoadVerbose" or "Method/MethodLoadVerbose")
    {
        jitted.Add((e.TimeStampRelativeMSec, $"{e.PayloadByName("MethodNamespace")}::{e.PayloadByName("MethodName")}"));
        continue;
    }
    if (double.IsNaN(firstMs)) firstMs = e.TimeStampRelativeMSec;
    lastMs = e.TimeStampRelativeMSec;
    // GC work runs in native code the sampler does not attribute: time it from the runtime's GC events.
    if (e.EventName == "GC/Start")
    {
        int gen = Math.Clamp(Convert.ToInt32(e.PayloadByName("Depth")), 0, 2);
        gcStart[e.ThreadID] = (e.TimeStampRelativeMSec, gen);
        string reason = $"gen{gen} {e.PayloadByName("Reason")} {e.PayloadByName("Type")}";
        gcReasons[reason] = gcReasons.GetValueOrDefault(reason) + 1;
        continue;
    }
    if (e.EventName == "GC/Stop")
    {
        foreach (var (tid, st) in gcStart)
        {
            gcCount[st.Gen]++;
            gcMs[st.Gen] += e.TimeStampRelativeMSec - st.Ms;
        }
        gcStart.Clear();
        continue;
    }
    if (e.EventName == "GC/HeapStats")
    {
        heapStats++;
        for (int g = 0; g < 3; g++) promoted[g] += Convert.ToInt64(e.PayloadByName($"TotalPromotedSize{g}"));
        continue;
    }
    if (e.EventName == "GC/AllocationTick")
    {
        // Sampled every ~100 KB per kind: who allocated (first frame outside System.*) and what.
        string who = Frames(e.CallStack()).FirstOrDefault(f => f.Length > 0 && !f.StartsWith("System.")) ?? "?";
        string key = $"{e.PayloadByName("TypeName")} <- {who}";
        var into = Convert.ToInt32(e.PayloadByName("AllocationKind")) == 1 ? largeAllocs : smallAllocs;
        into[key] = into.GetValueOrDefault(key) + Convert.ToInt64(e.PayloadByName("AllocationAmount64"));
        continue;
    }
    if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler") continue;
    var stack = e.CallStack();
    if (stack == null) continue;
    // The sampler also samples blocked threads: drop samples whose leaf is a wait (they cost no CPU).
    string leaf = stack.CodeAddress.FullMethodName ?? "";
    if (Idle.Any(leaf.Contains)) continue;
    if (focus != null && !Frames(stack).Any(f => f.Contains(focus))) continue;
    samples++;
    string thread = e.Thread()?.ThreadInfo ?? e.ThreadID.ToString();
    byThread[thread] = byThread.GetValueOrDefault(thread) + 1;
    var seen = new HashSet<string>();
    bool first = true;
    for (var s = stack; s != null; s = s.Caller)
    {
        string name = s.CodeAddress.FullMethodName;
        if (string.IsNullOrEmpty(name)) name = s.CodeAddress.ModuleName + "!?";
        if (first) { exclusive[name] = exclusive.GetValueOrDefault(name) + 1; first = false; }
        if (seen.Add(name)) inclusive[name] = inclusive.GetValueOrDefault(name) + 1;
    }
}
if (top == -1)
{
    // TraceSummary FILE -1: the JIT-compiled methods in order, with their time (what is compiled late, under load).
    foreach (var (ms, name) in jitted) Console.WriteLine($"{(ms - firstMs) / 1000,8:F3} s  {name}");
    return;
}
Console.WriteLine($"{samples} samples over {(lastMs - firstMs) / 1000:F1} s");
Console.WriteLine($"GCs gen0/1/2: {gcCount[0]}/{gcCount[1]}/{gcCount[2]}, time in GC (start to stop): {gcMs[0]:F0}/{gcMs[1]:F0}/{gcMs[2]:F0} ms (gen2 background GCs run concurrently)");
Console.WriteLine("GC reasons (generation, reason, type): " + string.Join(", ", gcReasons.OrderByDescending(k => k.Value).Select(k => $"{k.Key} ×{k.Value}")));
Console.WriteLine($"promoted (survivors, MB summed over {heapStats} GCs): gen0 {promoted[0] / 1e6:F1}, gen1 {promoted[1] / 1e6:F1}, gen2 {promoted[2] / 1e6:F1}");
Console.WriteLine("--- large-object allocations (MB, sampled every ~100 KB)");
foreach (var kv in largeAllocs.OrderByDescending(k => k.Value).Take(12)) Console.WriteLine($"{kv.Value / 1e6,9:F1} {kv.Key}");
Console.WriteLine($"--- small-object allocations (MB, sampled every ~100 KB; {smallAllocs.Values.Sum() / 1e6:F0} MB in all)");
foreach (var kv in smallAllocs.OrderByDescending(k => k.Value).Take(25)) Console.WriteLine($"{kv.Value / 1e6,9:F1} {kv.Key}");
Console.WriteLine("--- threads");
foreach (var kv in byThread.OrderByDescending(k => k.Value).Take(15)) Console.WriteLine($"{kv.Value,7} {kv.Key}");
Console.WriteLine("--- exclusive");
foreach (var kv in exclusive.OrderByDescending(k => k.Value).Take(top)) Console.WriteLine($"{kv.Value,7} {100.0 * kv.Value / samples,5:F1}% {kv.Key}");
Console.WriteLine("--- inclusive");
foreach (var kv in inclusive.OrderByDescending(k => k.Value).Take(top)) Console.WriteLine($"{kv.Value,7} {100.0 * kv.Value / samples,5:F1}% {kv.Key}");

static IEnumerable<string> Frames(Microsoft.Diagnostics.Tracing.Etlx.TraceCallStack s)
{
    for (; s != null; s = s.Caller) yield return s.CodeAddress.FullMethodName ?? "";
}

partial class Program
{
    static readonly string[] Idle =
    [
        "LowLevelLifoSemaphore.WaitForSignal", "WaitHandle.WaitOneNoCheck", "Thread.Sleep", "LowLevelLifoSemaphore.WaitNative",
        "LowLevelLifoSemaphore.Wait(", "Monitor.Wait(", "Thread.<PollGC>", "WaitHandle.WaitMultiple", "Interop+Sys.Poll", "Thread.Join",
        "WorkerThreadStart()", "TimerQueue.TimerThread", "GateThreadStart", "Interop+Sys.WaitForSocketEvents", "SafeWaitHandle", "ManualResetEventSlim.Wait",
    ];
}
