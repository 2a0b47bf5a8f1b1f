using System.Text;

namespace FsAudit.Engine.Records;

/// <summary>
/// One audit record as the kernel (or an auditd log line) delivered it. Only the header
/// (type, time, serial) is parsed eagerly; fields are read from <see cref="Utf8"/> on demand, and the text is
/// kept as the UTF-8 bytes it arrived as: half the memory of a string, copied to the journal and spill files as
/// is, and decoded to a string only when someone asks for <see cref="Text"/>.
/// </summary>
public sealed class AuditRecord
{
    private readonly byte[] _utf8;
    private string? _text;

    /// <param name="utf8">The record text <c>audit(SEC.MS:SERIAL): key=value ...</c> as UTF-8; the record keeps the array.</param>
    /// <param name="fieldsStart">Byte offset in <paramref name="utf8"/> where the fields begin.</param>
    public AuditRecord(ushort type, long timestampMs, uint serial, byte[] utf8, int fieldsStart, string? node = null)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)fieldsStart, (uint)utf8.Length, nameof(fieldsStart));
        Type = type;
        TimestampMs = timestampMs;
        Serial = serial;
        _utf8 = utf8;
        FieldsStart = fieldsStart;
        Node = node;
    }

    /// <param name="fieldsStart">Character index in <paramref name="text"/> where the fields begin.</param>
    public AuditRecord(ushort type, long timestampMs, uint serial, string text, int fieldsStart, string? node = null)
        : this(type, timestampMs, serial, Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetByteCount(text.AsSpan(0, fieldsStart)), node)
    {
        _text = text;
    }

    /// <summary>Numeric record type (1300 = SYSCALL, 1302 = PATH, 1320 = EOE, ...).</summary>
    public ushort Type { get; }

    /// <summary>Event time in Unix milliseconds, from <c>audit(SEC.MS:SERIAL)</c>.</summary>
    public long TimestampMs { get; }

    /// <summary>The kernel's 32-bit event serial; records of one event share it. Rolls over.</summary>
    public uint Serial { get; }

    /// <summary>The record text as the kernel sent it (UTF-8): <c>audit(SEC.MS:SERIAL): key=value ...</c>.</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8;

    /// <summary>The record text as a string, decoded on first use (invalid UTF-8 becomes U+FFFD).</summary>
    public string Text => _text ??= Encoding.UTF8.GetString(_utf8);

    /// <summary>Byte offset in <see cref="Utf8"/> where the key=value fields begin (after "): ").</summary>
    public int FieldsStart { get; }

    /// <summary>The <c>node=</c> prefix of an auditd log line, when present.</summary>
    public string? Node { get; }

    /// <summary>The key=value fields (UTF-8), for <see cref="FieldReader"/>.</summary>
    public ReadOnlySpan<byte> Fields => _utf8.AsSpan(FieldsStart);

    /// <summary>
    /// auditd's ENRICHED translations (the part after the 0x1d separator of a log line, e.g.
    /// <c>ARCH=x86_64 SYSCALL=openat AUID="root"</c>), when the parser kept it; null otherwise.
    /// </summary>
    public string? Enriched { get; init; }

    public override string ToString() => $"{Type} {Text}";
}
