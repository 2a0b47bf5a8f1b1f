using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// Binary form of a record in a spill file: type, time, serial, fields start, text, optional node.
/// Strings are length-prefixed UTF-8 (BinaryWriter's format; the record text is written from its bytes in that format). Spill is the overflow path, so
/// simplicity wins over the last bit of speed here.
/// </summary>
internal static class SpillCodec
{
    private const byte NoNode = 0, HasNode = 1;

    public static void Write(BinaryWriter w, AuditRecord r)
    {
        w.Write(r.Type);
        w.Write(r.TimestampMs);
        w.Write(r.Serial);
        w.Write(r.FieldsStart);
        w.Write7BitEncodedInt(r.Utf8.Length);
        w.Write(r.Utf8);
        if (r.Node is null) w.Write(NoNode);
        else { w.Write(HasNode); w.Write(r.Node); }
    }

    /// <summary>Reads one record; false at a clean end of file. A torn tail throws <see cref="EndOfStreamException"/>.</summary>
    public static bool TryRead(BinaryReader r, Stream s, out AuditRecord? record)
    {
        if (s.Position >= s.Length) { record = null; return false; }
        ushort type = r.ReadUInt16();
        long ts = r.ReadInt64();
        uint serial = r.ReadUInt32();
        int fieldsStart = r.ReadInt32();
        int length = r.Read7BitEncodedInt();
        if (length < 0 || length > s.Length - s.Position) throw new EndOfStreamException($"record text of {length} bytes runs past the end of the file");
        byte[] text = r.ReadBytes(length);
        string? node = r.ReadByte() == HasNode ? r.ReadString() : null;
        if (fieldsStart < 0 || fieldsStart > text.Length) throw new InvalidDataException($"fields start {fieldsStart} outside text of {text.Length} bytes");
        record = new AuditRecord(type, ts, serial, text, fieldsStart, node);
        return true;
    }
}
