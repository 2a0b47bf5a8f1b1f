using System.Buffers.Binary;
using System.Numerics;

namespace FsAudit.Actors.Persistence;

/// <summary>CRC-32C (Castagnoli, as iSCSI and ext4 use it) on the CPU's CRC32 instruction where it has one.</summary>
internal static class Crc32C
{
    public static uint Of(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
