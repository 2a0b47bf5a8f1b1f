using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Engine.Classification;

public static partial class EventClassifier
{
    private const ushort OpenAt2RecordType = 1337; // AUDIT_OPENAT2: oflag= mode= resolve=
    private static readonly int OpenAt2Syscall = SyscallEventTable.Lookup("openat2")!.Number;

    /// <summary>The event name of an assembled event.</summary>
    public static string Classify(AuditEvent e) => Classify(ToInput(e));

    /// <summary>The classifier's view of an event: PATH nametypes as a set, openat2 flags from its OPENAT2 record.</summary>
    public static ClassificationInput ToInput(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var paths = PathNameTypes.None;
        var items = e.Paths;
        for (var i = 0; i < items.Count; i++)
            paths |= items[i].NameType is { } t ? PathNameTypesParser.Parse(t) : PathNameTypes.Unknown;

        ulong? how = null;
        if (e.Syscall == OpenAt2Syscall)
        {
            var records = e.Records;
            for (var i = 0; i < records.Count; i++)
                if (records[i].Type == OpenAt2RecordType
                    && FieldReader.TryFind(records[i].Fields, "oflag"u8, out var raw)
                    && FieldDecoder.TryParseOctalUInt32(raw, out var oflag))
                {
                    how = oflag;
                    break;
                }
        }

        return new ClassificationInput(e.Type, e.Arch ?? 0, e.Syscall ?? -1, e.Success ?? true,
            e.A0 ?? 0, e.A1 ?? 0, e.A2 ?? 0, e.A3 ?? 0, paths, how);
    }
}
