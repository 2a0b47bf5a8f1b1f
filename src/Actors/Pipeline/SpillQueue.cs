using System.Globalization;
using System.Text;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// An on-disk FIFO of records: append-only segment files <c>spill-NNNNNNNNNN.bin</c> in one directory,
/// consumed in order and deleted once consumed. Files left by a previous run are replayed first.
/// Threading (enforced by <see cref="RecordBuffer"/>): <see cref="Append"/>, <see cref="AcquireForReading"/>,
/// <see cref="ReleaseReading"/> and <see cref="HasData"/> run under the caller's lock; <see cref="ReadInto"/>
/// runs on the single consumer without it, on a segment the writer no longer touches.
/// </summary>
internal sealed class SpillQueue : IDisposable
{
    private const string Prefix = "spill-", Suffix = ".bin";

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly Queue<Segment> _closed = new();
    private Segment? _writing;
    private Segment? _reading;
    private long _nextSegment;

    // Counters: written under the caller's lock or by the consumer; read via Snapshot under the lock.
    private long _spilledRecords, _spilledBytes, _readRecords, _backlogBytes, _recoveredRecords, _tornTails;

    public SpillQueue(string directory, long segmentBytes)
    {
        _directory = Path.GetFullPath(directory);
        _segmentBytes = Math.Max(4096, segmentBytes);
        Directory.CreateDirectory(_directory);
        // This run's segments start one number past a free one, so WriteBeforeQueued always has a number in front.
        _nextSegment = 1;
        foreach (var (seq, path) in ExistingSegments(_directory))
        {
            var len = new FileInfo(path).Length;
            _closed.Enqueue(new Segment(path, seq, recovered: true) { Bytes = len });
            _backlogBytes += len;
            _nextSegment = seq + 2;
        }
    }

    /// <summary>True while any record is on disk or being read back: new records must follow them.</summary>
    public bool HasData => _closed.Count > 0 || _writing is not null || _reading is not null;

    public int Files => _closed.Count + (_writing is null ? 0 : 1) + (_reading is null ? 0 : 1);

    public void Append(List<AuditRecord> records)
    {
        var seg = _writing ??= OpenForWrite();
        long before = seg.Writer!.BaseStream.Position;
        foreach (var r in records) SpillCodec.Write(seg.Writer, r);
        long written = seg.Writer.BaseStream.Position - before;
        seg.Records += records.Count;
        seg.Bytes += written;
        _spilledRecords += records.Count;
        _spilledBytes += written;
        _backlogBytes += written;
        if (seg.Bytes >= _segmentBytes) CloseWriting();
    }

    /// <summary>Returns the segment to read next (rolling the one being written if it is the only one), or null.</summary>
    public Segment? AcquireForReading()
    {
        if (_reading is not null) return _reading;
        if (_closed.Count == 0 && _writing is not null) CloseWriting();
        if (_closed.Count == 0) return null;
        _reading = _closed.Dequeue();
        _reading.OpenForRead();
        return _reading;
    }

    /// <summary>Reads up to <paramref name="max"/> records of <paramref name="seg"/>; sets <see cref="Segment.Exhausted"/> at its end.</summary>
    public int ReadInto(Segment seg, List<AuditRecord> into, int max)
    {
        int n = 0;
        try
        {
            while (n < max && SpillCodec.TryRead(seg.Reader!, seg.Reader!.BaseStream, out var rec))
            {
                into.Add(rec!);
                n++;
            }
            if (n < max) seg.Exhausted = true;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or DecoderFallbackException)
        {
            // A torn tail (crash while writing) or damage: keep what was read, count it, move on.
            Interlocked.Increment(ref _tornTails);
            seg.Exhausted = true;
        }
        if (seg.Recovered) Interlocked.Add(ref _recoveredRecords, n);
        else Interlocked.Add(ref _readRecords, n);
        return n;
    }

    /// <summary>Deletes the fully consumed reading segment.</summary>
    public void ReleaseReading()
    {
        if (_reading is null) return;
        _reading.Dispose();
        File.Delete(_reading.Path);
        _backlogBytes -= _reading.Bytes;
        _reading = null;
    }

    /// <summary>
    /// Writes records older than every queued segment (a buffer's memory when it is disposed unconsumed) into a
    /// segment numbered before them, so the next run replays them first and in order. When no number is free in front
    /// (segments left by a version that numbered from 0), they go after the others instead.
    /// </summary>
    public void WriteBeforeQueued(IEnumerable<AuditRecord[]> batches)
    {
        long? first = _closed.Select(s => (long?)s.Seq).Append(_reading?.Seq).Append(_writing?.Seq).Min();
        long seq = first is > 0 && !File.Exists(PathOf(first.Value - 1)) ? first.Value - 1 : _nextSegment++;
        var seg = new Segment(PathOf(seq), seq, recovered: false);
        seg.OpenForWrite();
        try
        {
            foreach (var batch in batches)
            {
                foreach (var r in batch) SpillCodec.Write(seg.Writer!, r);
                seg.Records += batch.Length;
            }
            seg.Writer!.Flush();
            seg.Bytes = seg.Writer.BaseStream.Position;
        }
        finally
        {
            seg.Dispose();
        }
        _spilledRecords += seg.Records;
        _spilledBytes += seg.Bytes;
        _backlogBytes += seg.Bytes;
    }

    public SpillStats Snapshot() => new(
        _spilledRecords, _spilledBytes,
        _spilledRecords - Interlocked.Read(ref _readRecords), _backlogBytes, Files,
        Interlocked.Read(ref _recoveredRecords), Interlocked.Read(ref _tornTails));

    public void Dispose()
    {
        // Unconsumed segments stay on disk: the next run replays them.
        _writing?.Dispose();
        _reading?.Dispose();
        foreach (var s in _closed) s.Dispose();
    }

    private Segment OpenForWrite()
    {
        long seq = _nextSegment++;
        var seg = new Segment(PathOf(seq), seq, recovered: false);
        seg.OpenForWrite();
        return seg;
    }

    private string PathOf(long seq) => Path.Combine(_directory, Prefix + seq.ToString("D10", CultureInfo.InvariantCulture) + Suffix);

    private void CloseWriting()
    {
        if (_writing is null) return;
        _writing.Writer!.Flush();
        _writing.Dispose();
        _closed.Enqueue(_writing);
        _writing = null;
    }

    private static IEnumerable<(long Seq, string Path)> ExistingSegments(string dir) =>
        Directory.EnumerateFiles(dir, Prefix + "*" + Suffix)
            .Select(p => (Name: System.IO.Path.GetFileName(p), Path: p))
            .Select(x => (Ok: long.TryParse(x.Name.AsSpan(Prefix.Length, x.Name.Length - Prefix.Length - Suffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out var seq), Seq: seq, x.Path))
            .Where(x => x.Ok)
            .OrderBy(x => x.Seq)
            .Select(x => (x.Seq, x.Path));

    internal sealed class Segment : IDisposable
    {
        public Segment(string path, long seq, bool recovered) { Path = path; Seq = seq; Recovered = recovered; }

        public string Path { get; }
        public long Seq { get; }
        public bool Recovered { get; }
        public long Records { get; set; }
        public long Bytes { get; set; }
        public bool Exhausted { get; set; }
        public BinaryWriter? Writer { get; private set; }
        public BinaryReader? Reader { get; private set; }

        public void OpenForWrite() => Writer = new BinaryWriter(
            new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16), Encoding.UTF8, leaveOpen: false);

        public void OpenForRead() => Reader = new BinaryReader(
            new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), Encoding.UTF8, leaveOpen: false);

        public void Dispose()
        {
            Writer?.Dispose();
            Writer = null;
            Reader?.Dispose();
            Reader = null;
        }
    }
}

/// <param name="SpilledRecords">Records written to disk since start.</param>
/// <param name="SpilledBytes">Bytes written to disk since start.</param>
/// <param name="BacklogRecords">Records of this run on disk, not yet read back.</param>
/// <param name="BacklogBytes">Bytes on disk not yet consumed (deleted).</param>
/// <param name="Files">Spill files present.</param>
/// <param name="RecoveredRecords">Records replayed from files a previous run left behind.</param>
/// <param name="TornTails">Spill files that ended in a partial/damaged record (the rest was skipped).</param>
public readonly record struct SpillStats(
    long SpilledRecords, long SpilledBytes, long BacklogRecords, long BacklogBytes, int Files,
    long RecoveredRecords, long TornTails);
