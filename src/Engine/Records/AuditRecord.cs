namespace FsAudit.Engine.Records;

/// <summary>
/// One audit record as the kernel (or an auditd log line) delivered it. Only the header
/// (type, time, serial) is parsed eagerly; fields are read from <see cref="Text"/> on demand,
/// so receiving a record costs this object and its text, nothing more.
/// </summary>
public sealed class AuditRecord
{
    public AuditRecord(ushort type, long timestampMs, uint serial, string text, int fieldsStart, string? node = null)
    {
        Type = type;
        TimestampMs = timestampMs;
        Serial = serial;
        Text = text;
        FieldsStart = fieldsStart;
        Node = node;
    }

    /// <summary>Numeric record type (1300 = SYSCALL, 1302 = PATH, 1320 = EOE, ...).</summary>
    public ushort Type { get; }

    /// <summary>Event time in Unix milliseconds, from <c>audit(SEC.MS:SERIAL)</c>.</summary>
    public long TimestampMs { get; }

    /// <summary>The kernel's 32-bit event serial; records of one event share it. Rolls over.</summary>
    public uint Serial { get; }

    /// <summary>The record text as the kernel sent it: <c>audit(SEC.MS:SERIAL): key=value ...</c>.</summary>
    public string Text { get; }

    /// <summary>Index in <see cref="Text"/> where the key=value fields begin (after "): ").</summary>
    public int FieldsStart { get; }

    /// <summary>The <c>node=</c> prefix of an auditd log line, when present.</summary>
    public string? Node { get; }

    public ReadOnlySpan<char> Fields => Text.AsSpan(FieldsStart);

    /// <summary>
    /// auditd's ENRICHED translations (the part after the 0x1d separator of a log line, e.g.
    /// <c>ARCH=x86_64 SYSCALL=openat AUID="root"</c>), when the parser kept it; null otherwise.
    /// </summary>
    public string? Enriched { get; init; }

    public override string ToString() => $"{Type} {Text}";
}
