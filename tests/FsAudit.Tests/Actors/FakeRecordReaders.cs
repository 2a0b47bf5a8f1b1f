using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Records;

namespace FsAudit.Tests.Actors;

internal static class TestRecords
{
    public const string Prefix = "audit(1700000000.123:";

    /// <summary>A record shaped like the kernel's: <c>audit(SEC.MS:SERIAL): fields</c>.</summary>
    public static AuditRecord Make(ushort type, uint serial, string fields, string? node = null)
    {
        var head = $"audit(1700000000.123:{serial}): ";
        return new AuditRecord(type, 1_700_000_000_123, serial, head + fields, head.Length, node);
    }
}

/// <summary>
/// A producer that never waits for the consumer: every Read returns <c>perRead</c> fresh records
/// (serial = running index) until <c>total</c> were produced, then behaves like an idle socket.
/// </summary>
internal sealed class FloodReader : IRecordReader
{
    private readonly long _total;
    private readonly int _perRead;
    private long _produced;

    /// <param name="filled">What <see cref="FilledLastRead"/> says after every read (a socket that always has more).</param>
    public FloodReader(long total, int perRead, bool filled = false)
    {
        _total = total;
        _perRead = perRead;
        FilledLastRead = filled;
    }

    public bool FilledLastRead { get; }

    public long Produced => Interlocked.Read(ref _produced);
    public ManualResetEventSlim Finished { get; } = new(false);
    public bool Disposed { get; private set; }

    public int Read(List<AuditRecord> into, int timeoutMs)
    {
        if (_produced >= _total)
        {
            Finished.Set();
            Thread.Sleep(Math.Min(timeoutMs, 5));
            return 0;
        }
        int n = (int)Math.Min(_perRead, _total - _produced);
        for (int i = 0; i < n; i++)
            into.Add(TestRecords.Make(1300, (uint)(_produced + i), $"arch=c000003e syscall=257 success=yes n={_produced + i} päth=\"/tmp/ü\""));
        Interlocked.Add(ref _produced, n);
        return n;
    }

    public ReaderCounters Counters => new(Produced, 0, 0);

    public void Dispose() => Disposed = true;
}

/// <summary>Hands out scripted record lists, one per Read, then idles; can throw after the script.</summary>
internal sealed class ScriptedReader : IRecordReader
{
    private readonly Queue<IReadOnlyList<AuditRecord>> _script;
    private readonly Exception? _failAtEnd;

    public ScriptedReader(IEnumerable<IReadOnlyList<AuditRecord>> script, Exception? failAtEnd = null)
    {
        _script = new Queue<IReadOnlyList<AuditRecord>>(script);
        _failAtEnd = failAtEnd;
    }

    public ManualResetEventSlim Drained { get; } = new(false);
    public bool Disposed { get; private set; }
    public int Reads => Volatile.Read(ref _reads);
    private int _reads;

    public int Read(List<AuditRecord> into, int timeoutMs)
    {
        Interlocked.Increment(ref _reads);
        lock (_script)
        {
            if (_script.Count > 0)
            {
                var next = _script.Dequeue();
                into.AddRange(next);
                return next.Count;
            }
        }
        Drained.Set();
        if (_failAtEnd is not null) throw _failAtEnd;
        Thread.Sleep(Math.Min(timeoutMs, 5));
        return 0;
    }

    public void Dispose() => Disposed = true;
}
