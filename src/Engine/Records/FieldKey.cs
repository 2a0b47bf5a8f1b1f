using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FsAudit.Engine.Records;

/// <summary>
/// Field names as 64-bit codes, so hot readers can <c>switch</c> on a key's bytes without widening it to characters:
/// a key of 1 to 8 bytes is its bytes read as a little-endian integer (zero-padded), anything else is <see cref="None"/>.
/// The code is exact: two keys without NUL bytes (a <see cref="FieldReader"/> key never holds one) have the same
/// code only when they are equal. The constants below are the codes of the names they are named after (lower case;
/// a test checks each one).
/// </summary>
public static class FieldKey
{
    /// <summary>The code of an empty key or one longer than 8 bytes: no constant equals it.</summary>
    public const ulong None = 0;

    public const ulong Arch = 0x68637261; // "arch"
    public const ulong Syscall = 0x6C6C6163737973; // "syscall"
    public const ulong Success = 0x73736563637573; // "success"
    public const ulong Exit = 0x74697865; // "exit"
    public const ulong A0 = 0x3061; // "a0"
    public const ulong A1 = 0x3161; // "a1"
    public const ulong A2 = 0x3261; // "a2"
    public const ulong A3 = 0x3361; // "a3"
    public const ulong Items = 0x736D657469; // "items"
    public const ulong Pid = 0x646970; // "pid"
    public const ulong Ppid = 0x64697070; // "ppid"
    public const ulong Uid = 0x646975; // "uid"
    public const ulong Gid = 0x646967; // "gid"
    public const ulong Auid = 0x64697561; // "auid"
    public const ulong Euid = 0x64697565; // "euid"
    public const ulong Suid = 0x64697573; // "suid"
    public const ulong Fsuid = 0x6469757366; // "fsuid"
    public const ulong Egid = 0x64696765; // "egid"
    public const ulong Sgid = 0x64696773; // "sgid"
    public const ulong Fsgid = 0x6469677366; // "fsgid"
    public const ulong Ses = 0x736573; // "ses"
    public const ulong Tty = 0x797474; // "tty"
    public const ulong Terminal = 0x6C616E696D726574; // "terminal"
    public const ulong Comm = 0x6D6D6F63; // "comm"
    public const ulong Exe = 0x657865; // "exe"
    public const ulong Subj = 0x6A627573; // "subj"
    public const ulong Key = 0x79656B; // "key"
    public const ulong Msg = 0x67736D; // "msg"
    public const ulong Res = 0x736572; // "res"
    public const ulong Result = 0x746C75736572; // "result"
    public const ulong Item = 0x6D657469; // "item"
    public const ulong Name = 0x656D616E; // "name"
    public const ulong Inode = 0x65646F6E69; // "inode"
    public const ulong Dev = 0x766564; // "dev"
    public const ulong Mode = 0x65646F6D; // "mode"
    public const ulong Ouid = 0x6469756F; // "ouid"
    public const ulong Ogid = 0x6469676F; // "ogid"
    public const ulong Nametype = 0x65707974656D616E; // "nametype"
    public const ulong Cwd = 0x647763; // "cwd"
    public const ulong Argc = 0x63677261; // "argc"

    /// <summary>The code of <paramref name="key"/> (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(ReadOnlySpan<byte> key)
    {
        int n = key.Length;
        if ((uint)(n - 1) >= 8) return None;
        if (n >= 4)
        {
            // Two overlapping 4-byte reads: the overlap holds the same bytes in both, so OR keeps them.
            ulong lo = BinaryPrimitives.ReadUInt32LittleEndian(key);
            ulong hi = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(n - 4));
            return lo | (hi << ((n - 4) * 8));
        }
        ulong v = key[0];
        if (n > 1) v |= (ulong)key[1] << 8;
        if (n > 2) v |= (ulong)key[2] << 16;
        return v;
    }
}
