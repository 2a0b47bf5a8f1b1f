using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Netlink;
using FsAudit.Engine.Records;

namespace FsAudit.PipelineBench;

/// <summary>The fixture's kernel records split around their serial, so copies with new serials are cheap to frame.</summary>
internal sealed class RecordTemplate
{
    private RecordTemplate(List<(ushort Type, byte[] Prefix, uint SerialOffset, byte[] Suffix)> records, uint span, int eventsPerCopy)
    {
        Records = records;
        SerialSpan = span;
        EventsPerCopy = eventsPerCopy;
    }

    public List<(ushort Type, byte[] Prefix, uint SerialOffset, byte[] Suffix)> Records { get; }
    public uint SerialSpan { get; }
    public int Count => Records.Count;

    /// <summary>Events one copy completes in a continuous stream (by EOE or at once; not counting timeouts).</summary>
    public int EventsPerCopy { get; }

    public static RecordTemplate Load(string path)
    {
        var lines = new List<(ushort Type, string Text, uint Serial)>();
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            int sp = line.IndexOf(' ');
            if (sp <= 0) continue;
            ushort type = ushort.Parse(line.AsSpan(0, sp));
            if (type is >= 1100 and < 1300) continue; // user-space and daemon records do not come from the kernel's syscall path
            var text = line[(sp + 1)..];
            if (!RecordParser.TryParseHeader(Encoding.UTF8.GetBytes(text), out _, out uint serial, out _, out var error))
                throw new InvalidDataException($"{path}: {error}: {line}");
            lines.Add((type, text, serial));
        }
        uint min = lines.Min(l => l.Serial), max = lines.Max(l => l.Serial);
        var records = new List<(ushort, byte[], uint, byte[])>();
        foreach (var (type, text, serial) in lines)
        {
            int colon = text.IndexOf(':');
            int close = text.IndexOf(')');
            records.Add((type, Encoding.UTF8.GetBytes(text[..(colon + 1)]), serial - min, Encoding.UTF8.GetBytes(text[close..])));
        }
        var template = new RecordTemplate(records, max - min + 1, 0);
        int one = CountEvents(template, 1), two = CountEvents(template, 2);
        return new RecordTemplate(records, max - min + 1, two - one);
    }

    private static int CountEvents(RecordTemplate t, int copies)
    {
        var source = new FramedSource(t, (long)t.Count * copies, 0, 512);
        var buffer = new byte[1 << 20];
        var recs = new List<AuditRecord>();
        var correlator = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Netlink, TrackGaps = false });
        var events = new List<AuditEvent>();
        int len;
        while ((len = source.Fill(buffer)) >= 0)
        {
            recs.Clear();
            FramedSource.Parse(buffer.AsSpan(0, len), recs);
            foreach (var r in recs) correlator.Add(r, 0, events);
        }
        return events.Count;
    }
}

/// <summary>
/// Frames template copies (serials advanced by the template's span per copy) as netlink datagrams into a
/// receive buffer, like <see cref="AuditNetlinkSocket.Receive"/> leaves them. With a rate, only what is due.
/// </summary>
internal sealed class FramedSource
{
    private const int HeaderLength = 16; // struct nlmsghdr
    private readonly RecordTemplate _t;
    private readonly long _total;
    private readonly double _rate;
    private readonly int _perRead;
    private readonly Stopwatch _clock = new();
    private long _produced;
    private int _index;
    private uint _base = 1_000_000;

    public FramedSource(RecordTemplate template, long total, double rate, int perRead)
    {
        _t = template;
        _total = total;
        _rate = rate;
        _perRead = Math.Max(1, perRead);
    }

    public long Produced => _produced;

    /// <summary>Bytes framed into <paramref name="buffer"/>; 0 when nothing is due yet; -1 when all records were produced.</summary>
    public int Fill(Span<byte> buffer)
    {
        if (_produced >= _total) return -1;
        if (!_clock.IsRunning) _clock.Start();
        long want = _perRead;
        if (_rate > 0) want = Math.Min(want, (long)(_clock.Elapsed.TotalSeconds * _rate) - _produced);
        want = Math.Min(want, _total - _produced);
        int offset = 0;
        Span<byte> digits = stackalloc byte[10];
        for (long i = 0; i < want; i++)
        {
            var (type, prefix, serialOffset, suffix) = _t.Records[_index];
            uint serial = _base + serialOffset;
            serial.TryFormat(digits, out int nd);
            int length = HeaderLength + prefix.Length + nd + suffix.Length;
            int aligned = (length + 3) & ~3;
            if (buffer.Length - offset < aligned) break;
            var d = buffer[offset..];
            BinaryPrimitives.WriteUInt32LittleEndian(d, (uint)length);
            BinaryPrimitives.WriteUInt16LittleEndian(d[4..], type);
            BinaryPrimitives.WriteUInt16LittleEndian(d[6..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(d[8..], 0);
            int p = HeaderLength;
            prefix.CopyTo(d[p..]); p += prefix.Length;
            digits[..nd].CopyTo(d[p..]); p += nd;
            suffix.CopyTo(d[p..]); p += suffix.Length;
            d[p..aligned].Clear();
            offset += aligned;
            _produced++;
            if (++_index == _t.Count) { _index = 0; _base += _t.SerialSpan; }
        }
        return offset;
    }

    /// <summary>The daemon reader's parse (as NetlinkRecordReader's KernelBufferParser does it).</summary>
    public static int Parse(ReadOnlySpan<byte> received, List<AuditRecord> into)
    {
        int added = 0;
        var messages = new NetlinkMessageReader(received);
        while (messages.MoveNext())
        {
            var m = messages.Current;
            if (!m.IsRecord) continue;
            if (RecordParser.TryParseKernel(m.Type, m.Payload, out var record, out _)) { into.Add(record!); added++; }
        }
        return added;
    }
}

/// <summary>The pipeline's reader over a <see cref="FramedSource"/>: waits like a poll timeout once nothing is due.</summary>
internal sealed class BenchReader(FramedSource source) : IRecordReader
{
    private readonly byte[] _buffer = new byte[1 << 20];

    public int Read(List<AuditRecord> into, int timeoutMs)
    {
        int len = source.Fill(_buffer);
        if (len < 0) { Thread.Sleep(timeoutMs); return 0; }
        if (len == 0) { Thread.Sleep(1); return 0; }
        return FramedSource.Parse(_buffer.AsSpan(0, len), into);
    }

    public void Dispose() { }
}
