using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Bench;

/// <summary>
/// The physical limit: this process registers as the audit daemon and a dedicated thread only receives and
/// counts records (events = EOE records). Its CPU is that thread's alone; its memory is not measured (it
/// shares the bench's process). Like the daemon's reader it coalesces reads (<c>--drain-coalesce</c>, the
/// daemon's default 5 ms): a reader woken per datagram costs the audited processes more than the daemon does,
/// which made the limit lower than fsaudit and noisy (9.5k-18.7k iterations/s at one writer).
/// <para>
/// With <paramref name="busyMicrosPerEvent"/> above 0 it is the <c>drain-busy</c> calibration: after each read the
/// reader wakes a second thread that spends that many µs of its own CPU time per event received, spinning on the
/// thread's CPU clock (preemption does not count as work). That is the cheapest work a reader can add per event — no
/// memory traffic, one hand-off per read — so it shows what that much CPU per event alone costs the writers, in the
/// same minutes as the modes next to it (docs/benchmarks.md, "The drain target as a CPU budget").
/// </para>
/// </summary>
public sealed class DrainMode(ModeContext context, double busyMicrosPerEvent = 0) : IBenchModeRun
{
    private const ushort EoeRecord = 1320; // AUDIT_EOE
    private const int ReceiveBuffer = 64 * 1024 * 1024;

    private readonly List<string> _notes = [];
    private AuditDaemonConnection? _connection;
    private Thread? _reader, _busy;
    private readonly AutoResetEvent _received = new(false);
    private volatile bool _stop;
    private long _records, _events, _malformed;
    private volatile int _readerTid, _busyTid;
    private Exception? _failure;
    private bool _ruleAdded;

    public BenchMode Mode => busyMicrosPerEvent > 0 ? BenchMode.DrainBusy : BenchMode.Drain;
    public IReadOnlyList<string> Notes => _notes;

    public Task StartAsync(CancellationToken ct)
    {
        var kernel = context.Kernel;
        KernelSteps.ApplyBacklog(kernel, context.Options);
        if (kernel.GetStatus().Enabled != 1) kernel.SetEnabled(1);
        _connection = new AuditDaemonConnection(ReceiveBuffer);
        _connection.Register();
        var ready = new ManualResetEventSlim();
        _reader = new Thread(() => Read(ready)) { IsBackground = true, Name = "bench-drain" };
        _reader.Start();
        ready.Wait(ct);
        if (busyMicrosPerEvent > 0)
        {
            var busyReady = new ManualResetEventSlim();
            _busy = new Thread(() => Busy(busyReady)) { IsBackground = true, Name = "bench-drain-busy" };
            _busy.Start();
            busyReady.Wait(ct);
        }
        kernel.AddRule(context.Rule);
        _ruleAdded = true;
        return Task.CompletedTask;
    }

    private void Read(ManualResetEventSlim ready)
    {
        _readerTid = ProcStat.CurrentThreadId();
        ready.Set();
        var buffer = new byte[1024 * 1024];
        try
        {
            while (!_stop)
            {
                int n = _connection!.Receive(buffer, 100);
                if (n <= 0) continue;
                // A short read: let records pile up in the socket so the next read takes many (as RecordPump does).
                if (context.Options.DrainCoalesceMs > 0 && n < buffer.Length / 2) Thread.Sleep(context.Options.DrainCoalesceMs);
                long records = 0, events = 0;
                var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
                while (reader.MoveNext())
                {
                    if (!reader.Current.IsRecord) continue;
                    records++;
                    if (reader.Current.Type == EoeRecord) events++;
                }
                if (reader.Malformed) Interlocked.Increment(ref _malformed);
                Interlocked.Add(ref _records, records);
                Interlocked.Add(ref _events, events);
                if (_busy is not null) _received.Set();
            }
        }
        catch (Exception e) when (e is NetlinkSocketException or ObjectDisposedException)
        {
            if (!_stop) _failure = e;
        }
    }

    /// <summary>drain-busy's second thread: after each read, busyMicrosPerEvent µs of its CPU time per new event.</summary>
    private void Busy(ManualResetEventSlim ready)
    {
        _busyTid = ProcStat.CurrentThreadId();
        ready.Set();
        long paidFor = 0;
        while (!_stop)
        {
            _received.WaitOne(100);
            long events = Interlocked.Read(ref _events);
            long owedNs = (long)((events - paidFor) * busyMicrosPerEvent * 1000);
            paidFor = events;
            long until = ThreadCpuClock.Nanoseconds() + owedNs;
            while (!_stop && ThreadCpuClock.Nanoseconds() < until) { }
        }
    }

    public Task<ModeSample> SampleAsync(bool final, CancellationToken ct)
    {
        if (_failure is { } f) throw new BenchException($"drain reader failed: {f.Message}", f);
        long records = Interlocked.Read(ref _records);
        double? cpu = ProcStat.CpuSeconds(Environment.ProcessId, _readerTid);
        if (_busy is not null) cpu = cpu is { } r && ProcStat.CpuSeconds(Environment.ProcessId, _busyTid) is { } b ? r + b : null;
        return Task.FromResult(new ModeSample(records, records, Interlocked.Read(ref _events), cpu, null));
    }

    public ValueTask DisposeAsync()
    {
        if (_ruleAdded) KernelSteps.DeleteRule(context.Kernel, context.Rule, _notes);
        _ruleAdded = false;
        _stop = true;
        _reader?.Join(TimeSpan.FromSeconds(5));
        _received.Set();
        if (_busy?.Join(TimeSpan.FromSeconds(5)) != false) _received.Dispose();
        if (_connection is { } c)
        {
            c.Dispose(); // unregisters
            if (c.Socket.ReceiveOverruns > 0) _notes.Add($"receive buffer overran {c.Socket.ReceiveOverruns} times (ENOBUFS)");
        }
        if (Interlocked.Read(ref _malformed) > 0) _notes.Add($"{_malformed} malformed netlink buffers");
        _connection = null;
        return ValueTask.CompletedTask;
    }
}
