using System.Buffers.Binary;

namespace FsAudit.Engine.Netlink;

/// <summary>struct audit_status (linux/audit.h): the kernel's audit settings and counters.</summary>
public readonly record struct AuditStatus(
    AuditStatusMask Mask,
    uint Enabled,
    uint Failure,
    uint Pid,
    uint RateLimit,
    uint BacklogLimit,
    uint Lost,
    uint Backlog,
    uint FeatureBitmap,
    uint BacklogWaitTime,
    uint BacklogWaitTimeActual)
{
    /// <summary>
    /// The kernel's queue is at least half its limit: near the point where producers wait and the kernel makes the
    /// sender of any control request wait too (see <see cref="AuditControl.GetStatus"/>). False without a limit.
    /// </summary>
    public bool BacklogAtLeastHalfFull => BacklogLimit != 0 && (ulong)Backlog * 2 >= BacklogLimit;

    /// <summary>sizeof(struct audit_status) on current kernels: 11 × u32.</summary>
    public const int Size = 44;

    /// <summary>Reads a status reply; fields a shorter (older kernel) payload lacks read as 0.</summary>
    public static AuditStatus Read(ReadOnlySpan<byte> payload)
    {
        Span<byte> full = stackalloc byte[Size];
        full.Clear();
        payload[..Math.Min(Size, payload.Length)].CopyTo(full);
        Span<uint> u = stackalloc uint[Size / 4];
        for (int i = 0; i < u.Length; i++) u[i] = BinaryPrimitives.ReadUInt32LittleEndian(full[(i * 4)..]);
        return new AuditStatus((AuditStatusMask)u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10]);
    }

    public void Write(Span<byte> destination)
    {
        ReadOnlySpan<uint> values = [(uint)Mask, Enabled, Failure, Pid, RateLimit, BacklogLimit, Lost, Backlog,
            FeatureBitmap, BacklogWaitTime, BacklogWaitTimeActual];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(i * 4)..], values[i]);
    }
}
