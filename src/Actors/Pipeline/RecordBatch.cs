using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>The records of one or more receives, in arrival order: the unit that flows through the pipeline.</summary>
public sealed class RecordBatch
{
    public RecordBatch(long sequence, IReadOnlyList<AuditRecord> records)
    {
        Sequence = sequence;
        Records = records;
    }

    /// <summary>Position of this batch in the stream (0, 1, 2, ...).</summary>
    public long Sequence { get; }

    public IReadOnlyList<AuditRecord> Records { get; }

    public int Count => Records.Count;

    public override string ToString() => $"RecordBatch #{Sequence} ({Count} records)";
}
