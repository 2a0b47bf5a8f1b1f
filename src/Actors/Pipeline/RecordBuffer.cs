using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// The hand-off between the reader thread and the source stage. The reader never waits on the
/// consumer: records go to a bounded in-memory queue, and once that is full (or anything is already
/// on disk, to keep order) to the <see cref="SpillQueue"/>. The consumer takes memory first (always
/// older), then disk. One producer thread, one consumer.
/// Until the consumer attaches (<see cref="SetWakeup"/>; the stream starts seconds after the reader, once the actor system and the journal
/// are up), memory holds at most one batch and the rest goes to disk: records held that long are promoted to the GC's
/// oldest generation during the start and become garbage there once taken (under a flood, RSS when the stream started
/// went from 143-157 MB to 135 MB).
/// </summary>
internal sealed class RecordBuffer : IDisposable
{
    // Rough managed size of a record: object + array header + its UTF-8 text.
    private const int RecordOverheadBytes = 64;

    private readonly object _gate = new();
    // Each receive with its estimated size, counted once when it is added and given back when it is taken.
    private readonly Queue<(AuditRecord[] Records, long Bytes)> _memory = new();
    private readonly SpillQueue _spill;
    private readonly int _capacityRecords;
    private readonly long _capacityBytes;
    private readonly int _maxBatch;
    private readonly List<AuditRecord> _spillScratch = new();

    private int _memRecords, _peakRecords;
    private long _memBytes, _peakBytes;
    private long _added, _batches, _emittedRecords, _spillFailures, _droppedRecords;
    private string? _lastSpillError;
    private long _nextSequence;
    private bool _consumerWaiting, _completed;
    private Exception? _failure;
    private Action? _wake;

    public RecordBuffer(int capacityRecords, long capacityBytes, int maxBatchRecords, string spillDirectory, long spillSegmentBytes)
    {
        if (capacityRecords < 1) throw new ArgumentOutOfRangeException(nameof(capacityRecords));
        if (maxBatchRecords < 1) throw new ArgumentOutOfRangeException(nameof(maxBatchRecords));
        _capacityRecords = capacityRecords;
        _capacityBytes = capacityBytes;
        _maxBatch = maxBatchRecords;
        _spill = new SpillQueue(spillDirectory, spillSegmentBytes);
    }

    /// <summary>Called (outside the lock) when data or completion arrives while the consumer waits.</summary>
    public void SetWakeup(Action wake)
    {
        lock (_gate) _wake = wake;
    }

    /// <summary>Producer: stores a copy of <paramref name="records"/>. Never blocks on the consumer.</summary>
    public void Add(List<AuditRecord> records)
    {
        if (records.Count == 0) return;
        Action? wake = null;
        lock (_gate)
        {
            _added += records.Count;
            long bytes = EstimateBytes(records);
            int capacity = _wake is not null ? _capacityRecords : Math.Min(_capacityRecords, _maxBatch); // one batch until the consumer attaches
            bool fits = _memRecords + records.Count <= capacity
                        && (_capacityBytes <= 0 || _memBytes + bytes <= _capacityBytes);
            if (!_spill.HasData && fits)
            {
                _memory.Enqueue((records.ToArray(), bytes));
                _memRecords += records.Count;
                _memBytes += bytes;
                if (_memRecords > _peakRecords) _peakRecords = _memRecords;
                if (_memBytes > _peakBytes) _peakBytes = _memBytes;
            }
            else
            {
                try
                {
                    _spill.Append(records);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Disk full or unwritable: nothing else can hold them without unbounded memory.
                    _spillFailures++;
                    _droppedRecords += records.Count;
                    _lastSpillError = e.Message;
                }
            }
            if (_consumerWaiting) { _consumerWaiting = false; wake = _wake; }
        }
        wake?.Invoke();
    }

    /// <summary>Producer: no more records will come; <paramref name="failure"/> is reported after the rest is taken.</summary>
    public void Complete(Exception? failure)
    {
        Action? wake = null;
        lock (_gate)
        {
            _completed = true;
            _failure = failure;
            if (_consumerWaiting) { _consumerWaiting = false; wake = _wake; }
        }
        wake?.Invoke();
    }

    /// <summary>
    /// Consumer: the next batch (memory first, then disk), or <see cref="TakeResult.Empty"/> (the wake-up
    /// callback fires when that changes), or <see cref="TakeResult.Completed"/> once everything was taken.
    /// </summary>
    public TakeResult TryTake(out RecordBatch? batch, out Exception? failure)
    {
        batch = null;
        failure = null;
        while (true)
        {
            SpillQueue.Segment? seg;
            lock (_gate)
            {
                if (_memory.Count > 0)
                {
                    batch = TakeFromMemory();
                    return TakeResult.Batch;
                }
                seg = _spill.AcquireForReading();
                if (seg is null)
                {
                    if (_completed) { failure = _failure; return TakeResult.Completed; }
                    _consumerWaiting = true;
                    return TakeResult.Empty;
                }
            }

            // Disk read outside the lock: the producer only appends to other segments meanwhile.
            _spillScratch.Clear();
            _spill.ReadInto(seg, _spillScratch, _maxBatch);
            if (seg.Exhausted)
                lock (_gate) _spill.ReleaseReading();
            if (_spillScratch.Count > 0)
            {
                var records = _spillScratch.ToArray();
                lock (_gate)
                {
                    _batches++;
                    _emittedRecords += records.Length;
                }
                batch = new RecordBatch(_nextSequence++, records);
                return TakeResult.Batch;
            }
        }
    }

    public BufferStats Snapshot()
    {
        lock (_gate)
            return new BufferStats(_added, _emittedRecords, _batches, _memRecords, _peakRecords, _memBytes, _peakBytes,
                _spill.Snapshot(), _spillFailures, _droppedRecords, _lastSpillError);
    }

    /// <summary>
    /// Closes the spill files. Records still in memory (a start that failed before anything consumed them, a stream
    /// that failed) are written to disk in front of the spilled ones, so the next run replays them in order.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_memory.Count > 0)
            {
                try
                {
                    _spill.WriteBeforeQueued(_memory.Select(m => m.Records));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _spillFailures++;
                    _droppedRecords += _memRecords;
                    _lastSpillError = e.Message;
                }
                _memory.Clear();
                _memRecords = 0;
                _memBytes = 0;
            }
            _spill.Dispose();
        }
    }

    private RecordBatch TakeFromMemory()
    {
        var (first, bytes) = _memory.Dequeue();
        IReadOnlyList<AuditRecord> records = first;
        if (_memory.Count > 0 && first.Length + _memory.Peek().Records.Length <= _maxBatch)
        {
            // Merge small receives into one batch: fewer elements downstream.
            var merged = new List<AuditRecord>(Math.Min(_maxBatch, first.Length * 4));
            merged.AddRange(first);
            while (_memory.Count > 0 && merged.Count + _memory.Peek().Records.Length <= _maxBatch)
            {
                var next = _memory.Dequeue();
                merged.AddRange(next.Records);
                bytes += next.Bytes;
            }
            records = merged;
        }
        _memRecords -= records.Count;
        _memBytes -= bytes;
        _batches++;
        _emittedRecords += records.Count;
        return new RecordBatch(_nextSequence++, records);
    }

    private static long EstimateBytes(List<AuditRecord> records)
    {
        long sum = 0;
        for (int i = 0; i < records.Count; i++)
            sum += RecordOverheadBytes + records[i].Utf8.Length;
        return sum;
    }
}

internal enum TakeResult { Batch, Empty, Completed }

/// <summary>Buffer counters at one instant.</summary>
internal readonly record struct BufferStats(
    long RecordsIn, long RecordsOut, long Batches, int BufferedRecords, int PeakBufferedRecords,
    long BufferedBytes, long PeakBufferedBytes, SpillStats Spill, long SpillFailures, long DroppedRecords,
    string? LastSpillError);
